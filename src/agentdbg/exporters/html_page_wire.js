// The page script, part 2 of 4: a step written as its file lines is read here as the Python wire codecs read it.
  // ---- a step written as its file lines: the view built here, as agentdbg's Python builds it ----------
  // (model/views.py LLMView.of / ToolView.of over the wire codecs in wire/*.py; html_steps.step_view is
  // the same in Python, and the tests compare both). Python's rules are kept where they show: str(),
  // truthiness, ``x.get`` failing on a non-object (the view then falls back to JSON text, as LLMView.of).
  var lineNodes = null, lineCache = new Map(), wholeInputs = new Map();
  function lineText(number) {
    if (!lineNodes) lineNodes = document.querySelectorAll("script.agentdbg-line");
    var node = lineNodes[number - 1];
    return node ? node.textContent : "";
  }
  function lineRecord(number) {
    var hit = lineCache.get(number);
    if (hit) return hit;
    var record;
    try { record = JSON.parse(lineText(number)); } catch (e) { record = {}; }
    return keep(lineCache, number, isDict(record) ? record : {}, 128);
  }
  function PyError(what) { this.message = what; }
  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function isDict(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function truthy(v) {
    if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
    if (Array.isArray(v)) return v.length > 0;
    if (isDict(v)) return Object.keys(v).length > 0;
    return true;
  }
  function or(v, d) { return truthy(v) ? v : d; }
  function get(o, k, d) {               // Python's dict.get: a non-object has no .get
    if (!isDict(o)) throw new PyError("get");
    return has(o, k) ? o[k] : (d === undefined ? null : d);
  }
  function iter(v) {                    // what Python's ``for x in v`` walks
    if (Array.isArray(v)) return v;
    if (typeof v === "string") return Array.from(v);
    if (isDict(v)) return Object.keys(v);
    throw new PyError("iter");
  }
  function pyFloat(v) {
    if (!isFinite(v)) return v !== v ? "nan" : (v > 0 ? "inf" : "-inf");
    if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
    var parts = v.toExponential().split("e"), exp = Number(parts[1]);
    if (exp < -4 || exp >= 16) return parts[0] + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    return String(v);
  }
  function pyRepr(v) {
    if (typeof v === "string") {
      var quote = v.indexOf("'") >= 0 && v.indexOf('"') < 0 ? '"' : "'";
      return quote + v.replace(/[\\\n\r\t]|[\x00-\x1f\x7f]/g, function (c) {
        return { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" }[c] || "\\x" + ("0" + c.charCodeAt(0).toString(16)).slice(-2);
      }).split(quote).join("\\" + quote) + quote;
    }
    if (Array.isArray(v)) return "[" + v.map(pyRepr).join(", ") + "]";
    if (isDict(v)) return "{" + Object.keys(v).map(function (k) { return pyRepr(k) + ": " + pyRepr(v[k]); }).join(", ") + "}";
    return pyStr(v);
  }
  function pyStr(v) {
    if (typeof v === "string") return v;
    if (v === null || v === undefined) return "None";
    if (v === true) return "True";
    if (v === false) return "False";
    if (typeof v === "number") return pyFloat(v);
    return pyRepr(v);
  }
  function strOrNone(v) { return v === null || v === undefined ? null : pyStr(v); }
  function pyJson(v, depth) {            // json.dumps(v, indent=2, ensure_ascii=False)
    depth = depth || 0;
    var pad = "\n" + "  ".repeat(depth + 1), end = "\n" + "  ".repeat(depth);
    if (typeof v === "number") return isFinite(v) ? pyFloat(v) : (v !== v ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    if (Array.isArray(v)) {
      if (!v.length) return "[]";
      return "[" + pad + v.map(function (x) { return pyJson(x, depth + 1); }).join("," + pad) + end + "]";
    }
    if (isDict(v)) {
      var keys = Object.keys(v);
      if (!keys.length) return "{}";
      return "{" + pad + keys.map(function (k) { return JSON.stringify(k) + ": " + pyJson(v[k], depth + 1); }).join("," + pad) + end + "}";
    }
    return JSON.stringify(v === undefined ? null : v);
  }
  function jsonText(v) { return typeof v === "string" ? v : pyJson(v); }

  // wire/neutral.py
  function message(role, text, o) {
    o = o || {};
    return { role: role, text: text === undefined ? "" : text, tool_calls: o.tool_calls || [],
             tool_call_id: o.tool_call_id === undefined ? null : o.tool_call_id,
             tool_name: o.tool_name === undefined ? null : o.tool_name, is_error: !!o.is_error,
             reasoning: o.reasoning || [], attachments: o.attachments || [] };
  }
  function parseArguments(raw) {
    if (typeof raw === "string") {
      try { return { arguments: raw.trim() ? JSON.parse(raw) : {}, arguments_raw: raw, valid: true }; }
      catch (e) { return { arguments: raw, arguments_raw: raw, valid: false }; }
    }
    return { arguments: raw === undefined ? null : raw, arguments_raw: null, valid: true };
  }
  function toolCall(id, name, raw) {
    var call = parseArguments(raw);
    call.id = id === null || id === undefined ? null : pyStr(id);
    call.name = pyStr(or(name, ""));
    return call;
  }
  function dataSize(data) {
    if (typeof data !== "string") return null;
    if (data.startsWith("data:") && data.indexOf(",") >= 0) data = data.slice(data.indexOf(",") + 1);
    return Math.floor(data.length * 3 / 4);
  }
  function attachment(kind, media, size, source) {
    return { kind: kind, media_type: media === undefined ? null : media, size: size === undefined ? null : size,
             source: source === undefined ? null : source };
  }
  function startsData(url) { if (typeof url !== "string") throw new PyError("startswith"); return url.startsWith("data:"); }
  function sortPart(part, texts, attachments, reasoning) {
    if (typeof part === "string") { texts.push(part); return; }
    if (!isDict(part)) { texts.push(jsonText(part)); return; }
    var kind = get(part, "type"), url, media, source;
    if (kind === "text" || kind === "input_text" || kind === "output_text" || (kind === null && has(part, "text"))) {
      texts.push(pyStr(get(part, "text", "")));
    } else if (kind === "refusal") {
      texts.push("(refusal) " + pyStr(get(part, "refusal", "")));
    } else if (kind === "thinking" || kind === "redacted_thinking") {
      reasoning.push(pyStr(or(get(part, "thinking"), "(redacted thinking)")));
    } else if (kind === "image_url") {
      url = get(or(get(part, "image_url"), {}), "url", "");
      media = startsData(url) ? url.slice(5).split(";")[0] : null;
      attachments.push(attachment("image", media, dataSize(url), media ? null : Array.from(url).slice(0, 200).join("")));
    } else if (kind === "input_image") {
      url = or(get(part, "image_url"), "");
      media = typeof url === "string" && url.startsWith("data:") ? url.slice(5).split(";")[0] : null;
      attachments.push(attachment("image", media, dataSize(url)));
    } else if (kind === "image" || kind === "document") {
      source = or(get(part, "source"), {});
      url = get(source, "type") === "url" ? get(source, "url") : null;
      attachments.push(attachment(kind, get(source, "media_type"), dataSize(get(source, "data")), url));
    } else if (kind === "input_audio") {
      var audio = or(get(part, "input_audio"), {});
      attachments.push(attachment("audio", get(audio, "format"), dataSize(get(audio, "data"))));
    } else if (kind === "file" || kind === "input_file") {
      var file = or(get(part, "file"), part);
      attachments.push(attachment("file", get(file, "filename"), dataSize(get(file, "file_data"))));
    } else {
      texts.push(jsonText(part));
    }
  }
  function splitContent(content) {
    var texts = [], attachments = [], reasoning = [];
    if (content === null || content === undefined) return ["", attachments, reasoning];
    if (Array.isArray(content)) content.forEach(function (part) { sortPart(part, texts, attachments, reasoning); });
    else sortPart(content, texts, attachments, reasoning);
    return [texts.join("\n"), attachments, reasoning];
  }
  var ROLES = ["system", "developer", "user", "assistant", "tool"];
  function normaliseRole(value, fallback) {
    var role = pyStr(or(value, fallback || "user"));
    return ROLES.indexOf(role) >= 0 ? role : "user";
  }
  function toolSpec(name, description, parameters) {
    return { name: pyStr(or(name, "")), description: or(description, ""), parameters: parameters === undefined ? null : parameters };
  }
  // wire/openai_chat.py
  function chatMessage(raw) {
    if (!isDict(raw)) return message("user", jsonText(raw));
    var split = splitContent(get(raw, "content")), text = split[0], reasoning = split[2];
    if (truthy(get(raw, "reasoning_content"))) reasoning.push(pyStr(raw.reasoning_content));
    if (truthy(get(raw, "refusal"))) text = (text ? text + "\n" : "") + "(refusal) " + pyStr(raw.refusal);
    var calls = [];
    iter(or(get(raw, "tool_calls"), [])).forEach(function (call) {
      if (!isDict(call)) return;
      calls.push(toolCall(get(call, "id"), get(or(get(call, "function"), {}), "name"), get(or(get(call, "function"), {}), "arguments")));
    });
    if (truthy(get(raw, "function_call"))) {
      var fc = raw.function_call;
      calls.push(toolCall(null, get(fc, "name"), get(fc, "arguments")));
    }
    var role = normaliseRole(get(raw, "role"));
    if (get(raw, "role") === "function") role = "tool";
    return message(role, text, { tool_calls: calls, tool_call_id: get(raw, "tool_call_id"),
                                 tool_name: role === "tool" ? get(raw, "name") : null, reasoning: reasoning, attachments: split[1] });
  }
  var chat = {
    request: function (request) { return iter(or(get(request, "messages"), [])).map(chatMessage); },
    response: function (response) {
      var out = [];
      iter(or(get(response, "choices"), [])).forEach(function (choice) {
        if (isDict(choice)) out.push(chatMessage(or(get(choice, "message"), or(get(choice, "delta"), { role: "assistant" }))));
      });
      return out;
    },
    tools: function (request) {
      var functions = iter(or(get(request, "tools"), [])).map(function (tool) { return isDict(tool) ? get(tool, "function") : null; });
      functions = functions.concat(iter(or(get(request, "functions"), [])));
      return functions.filter(isDict).map(function (fn) { return toolSpec(get(fn, "name", ""), get(fn, "description"), get(fn, "parameters")); });
    },
  };
  // wire/anthropic_messages.py
  function anthropicMessage(raw) {
    if (!isDict(raw)) return [message("user", jsonText(raw))];
    var role = normaliseRole(get(raw, "role")), content = get(raw, "content");
    if (typeof content === "string" || content === null) return [message(role, or(content, ""))];
    var out = [], texts = [], attachments = [], reasoning = [], calls = [];
    iter(content).forEach(function (block) {
      if (isDict(block) && get(block, "type") === "tool_use") {
        calls.push(toolCall(get(block, "id"), get(block, "name"), get(block, "input")));
      } else if (isDict(block) && get(block, "type") === "tool_result") {
        var split = splitContent(get(block, "content"));
        out.push(message("tool", split[0], { tool_call_id: get(block, "tool_use_id"), is_error: truthy(get(block, "is_error")), attachments: split[1] }));
      } else {
        sortPart(block, texts, attachments, reasoning);
      }
    });
    if (texts.length || attachments.length || reasoning.length || calls.length || !out.length) {
      out.push(message(role, texts.join("\n"), { attachments: attachments, reasoning: reasoning, tool_calls: calls }));
    }
    return out;
  }
  var anthropic = {
    request: function (request) {
      var messages = [], system = get(request, "system");
      if (truthy(system)) messages.push(message("system", splitContent(system)[0]));
      iter(or(get(request, "messages"), [])).forEach(function (raw) { messages = messages.concat(anthropicMessage(raw)); });
      return messages;
    },
    response: function (response) {
      return anthropicMessage({ role: get(response, "role", "assistant"), content: or(get(response, "content"), []) });
    },
    tools: function (request) {
      return iter(or(get(request, "tools"), [])).filter(function (t) { return isDict(t) && truthy(get(t, "name")); })
        .map(function (t) { return toolSpec(get(t, "name", ""), get(t, "description"), get(t, "input_schema")); });
    },
  };
  // wire/openai_responses.py
  function responseItems(items, fallbackRole) {
    if (typeof items === "string") return [message(normaliseRole(fallbackRole), items)];
    var messages = [], pending = [];
    iter(or(items, [])).forEach(function (item) {
      if (!isDict(item)) { messages.push(message("user", jsonText(item))); return; }
      var kind = get(item, "type", "message");
      if (kind === "message" || (has(item, "role") && kind !== "function_call" && kind !== "function_call_output")) {
        var split = splitContent(get(item, "content"));
        messages.push(message(normaliseRole(get(item, "role"), fallbackRole), split[0], { attachments: split[1], reasoning: pending.concat(split[2]) }));
        pending = [];
      } else if (kind === "function_call" || kind === "custom_tool_call") {
        var call = toolCall(or(get(item, "call_id"), get(item, "id")), get(item, "name"), has(item, "arguments") ? item.arguments : get(item, "input"));
        var last = messages.length ? messages[messages.length - 1] : null;
        if (last && last.role === "assistant" && !truthy(last.tool_call_id)) last.tool_calls.push(call);
        else { messages.push(message("assistant", "", { tool_calls: [call], reasoning: pending })); pending = []; }
      } else if (kind === "function_call_output" || kind === "custom_tool_call_output") {
        var output = get(item, "output");
        var parts = Array.isArray(output) ? splitContent(output) : [jsonText(output), [], []];
        messages.push(message("tool", parts[0], { tool_call_id: get(item, "call_id"), attachments: parts[1] }));
      } else if (kind === "reasoning") {
        var texts = function (key) {
          return iter(or(get(item, key), [])).filter(isDict).map(function (s) { return pyStr(get(s, "text", "")); });
        };
        var found = texts("summary").concat(texts("content"));
        pending = pending.concat(found.length ? found : ["(reasoning, encrypted)"]);
      } else {
        messages.push(message(fallbackRole === "assistant" ? "assistant" : "user", jsonText(item)));
      }
    });
    if (pending.length) messages.push(message("assistant", "", { reasoning: pending }));
    return messages;
  }
  var responses = {
    request: function (request) {
      var messages = [];
      if (truthy(get(request, "instructions"))) messages.push(message("system", jsonText(request.instructions)));
      return messages.concat(responseItems(get(request, "input"), "user"));
    },
    response: function (response) {
      var merged = [];
      responseItems(get(response, "output"), "assistant").forEach(function (msg) {
        var last = merged[merged.length - 1];
        if (last && msg.role === "assistant" && last.role === "assistant") {
          last.text = [last.text, msg.text].filter(function (t) { return t; }).join("\n");
          last.tool_calls = last.tool_calls.concat(msg.tool_calls);
          last.reasoning = last.reasoning.concat(msg.reasoning);
          last.attachments = last.attachments.concat(msg.attachments);
        } else merged.push(msg);
      });
      return merged;
    },
    tools: function (request) {
      return iter(or(get(request, "tools"), [])).filter(function (t) { return isDict(t) && truthy(get(t, "name")); })
        .map(function (t) { return toolSpec(t.name, get(t, "description"), get(t, "parameters")); });
    },
  };
  var CODECS = { "openai.chat.completions": chat, "openai.responses": responses, "anthropic.messages": anthropic };
  function apiKey(provider, api) {      // model/apis.py
    provider = pyStr(or(provider, "")).toLowerCase();
    api = pyStr(or(api, "")).toLowerCase();
    if (CODECS[api]) return api;
    if (provider === "anthropic") return "anthropic.messages";
    if (provider === "openai" && (api === "responses" || api === "response")) return "openai.responses";
    if (provider === "openai") return "openai.chat.completions";
    return (provider + "." + api).replace(/^\.+|\.+$/g, "");
  }
  function isStrOrNone(v) { return v === null || typeof v === "string"; }
  function isIntOrNone(v) { return v === null || (typeof v === "number" && Number.isInteger(v)); }
  function checked(messages) {          // model/messages.py: what pydantic would refuse
    messages.forEach(function (m) {
      var ok = isStrOrNone(m.tool_call_id) && isStrOrNone(m.tool_name) && m.reasoning.every(function (r) { return typeof r === "string"; })
        && m.attachments.every(function (a) { return isStrOrNone(a.media_type) && isIntOrNone(a.size) && isStrOrNone(a.source); });
      if (!ok) throw new PyError("invalid message");
    });
    return messages;
  }
  function requestMessages(api, request) {   // model/views.py
    var wire = CODECS[api] || (has(request, "messages") ? chat : has(request, "input") ? responses : null);
    return wire ? checked(wire.request(request)) : [message("user", jsonText(request))];
  }
  function responseMessages(api, response) {
    if (response === null || response === undefined) return [];
    if (!isDict(response)) return [message("assistant", jsonText(response))];
    var wire = CODECS[api] || (has(response, "choices") ? chat : has(response, "content") ? anthropic : null);
    return wire ? checked(wire.response(response)) : [message("assistant", jsonText(response))];
  }
  function requestTools(api, request) {
    var specs = [];
    if (CODECS[api]) specs = CODECS[api].tools(request);
    else [chat, anthropic, responses].some(function (wire) { specs = wire.tools(request); return specs.length > 0; });
    specs.forEach(function (s) {
      if (typeof s.description !== "string" || !(s.parameters === null || isDict(s.parameters))) throw new PyError("invalid tool");
    });
    return specs;
  }
