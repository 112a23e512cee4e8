// The page script, part 3 of 4: a step's view (model/views.py), from its lines read by part 2.
  var PARAM_SKIP = ["messages", "input", "instructions", "system", "tools", "model", "functions", "stream", "stream_options"];
  function fmtCount(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function shownMessage(m) {            // html_steps.page_message
    return { role: m.role, text: m.text,
             tool_calls: m.tool_calls.map(function (c) { return { id: c.id, name: c.name, arguments: c.valid ? c.arguments : c.arguments_raw }; }),
             tool_call_id: m.tool_call_id, tool_name: m.tool_name, is_error: m.is_error, reasoning: m.reasoning,
             attachments: m.attachments.map(function (a) {
               return "[" + a.kind + (a.media_type ? " " + a.media_type : "") + (a.size !== null ? ", " + fmtCount(a.size) + " bytes" : "")
                 + (a.source ? " " + a.source : "") + "]";
             }) };
  }
  function llmView(input, output, attributes) {
    var data = isDict(input) ? input : {}, provider = has(data, "provider") ? data.provider : null;
    var api = apiKey(provider, has(data, "api") ? data.api : null);
    var request = isDict(data.request) ? data.request : {};
    var model = or(has(request, "model") ? request.model : null, has(attributes, "model") ? attributes.model : null);
    if (isDict(output) && truthy(output.model)) model = or(model, output.model);
    var params = {};
    Object.keys(request).forEach(function (k) { if (PARAM_SKIP.indexOf(k) < 0) params[k] = request[k]; });
    var view = { provider: strOrNone(provider), api: api, model: strOrNone(model), params: params };
    try {
      view.prompt = requestMessages(api, request);
      view.answer = responseMessages(api, output);
      view.tools = requestTools(api, request);
    } catch (e) {
      if (!(e instanceof PyError)) throw e;
      view.prompt = Object.keys(request).length ? [message("user", jsonText(request))] : [];
      view.answer = output !== null && output !== undefined ? [message("assistant", jsonText(output))] : [];
      view.tools = [];
    }
    view.prompt = view.prompt.map(shownMessage);
    view.answer = view.answer.map(shownMessage);
    view.tools = view.tools.map(function (t) { return { name: t.name, description: t.description, parameters: t.parameters }; });
    return view;
  }
  function dumped(value, fields) {      // a pydantic model_dump(exclude_none=True) of an open model
    if (value === null || value === undefined) return null;
    var out = {};
    fields.forEach(function (f) {
      var v = has(value, f[0]) ? value[f[0]] : f[1];
      if (v !== null && v !== undefined) out[f[0]] = v;
    });
    Object.keys(value).forEach(function (k) { if (!has(out, k) && value[k] !== null) out[k] = value[k]; });
    return out;
  }
  var USAGE = [["input_tokens"], ["output_tokens"], ["total_tokens"], ["cached_input_tokens"],
               ["cache_creation_input_tokens"], ["reasoning_tokens"]];
  var ERROR = [["type", "Error"], ["message", ""], ["status_code"], ["body"], ["traceback"]];
  function referable(value) {           // store/compact.referable
    return Array.isArray(value) || new TextEncoder().encode(JSON.stringify(value)).length >= 256;
  }
  function wholeInput(number) {         // an llm step's input with its request rebuilt along request_ref
    var chain = [], cursor = number;
    while (!wholeInputs.has(cursor)) {
      var row = steps[byStep[cursor]];
      if (!row || !row.startLine) break;   // a block step: rebuilt from its block
      chain.push(cursor);
      var ref = lineRecord(row.startLine).request_ref;
      if (ref === undefined || !row.base || row.base >= cursor) break;
      cursor = row.base;
    }
    for (var i = chain.length - 1; i >= 0; i--) keep(wholeInputs, chain[i], rebuiltInput(chain[i]), 256);
    return wholeInputs.has(number) ? wholeInputs.get(number) : stepData(number).input;
  }
  function rebuiltInput(number) {
    var row = steps[byStep[number]], start = lineRecord(row.startLine), given = has(start, "input") ? start.input : null;
    var ref = start.request_ref;
    if (ref === undefined) return { input: given, fits: true };
    if (!isDict(given) || !isDict(given.request) || !isDict(ref) || !isDict(ref.keys)) return { input: given, fits: false };
    var base = wholeInputs.has(row.base) ? wholeInputs.get(row.base).input : stepData(row.base).input;
    var earlier = isDict(base) && isDict(base.request) ? base.request : {};
    var written = given.request, request = {}, keys = ref.keys, fits = true;
    Object.keys(written).forEach(function (key) {
      var how = has(keys, key) ? keys[key] : null, known = has(earlier, key) && referable(earlier[key]);
      if (!fits || how === null) request[key] = written[key];
      else if (how === -1 && known) request[key] = earlier[key];
      else if (typeof how === "number" && Number.isInteger(how) && how >= 0 && known && Array.isArray(earlier[key])
               && earlier[key].length >= how && Array.isArray(written[key])) request[key] = earlier[key].slice(0, how).concat(written[key]);
      else { fits = false; request[key] = written[key]; }
    });
    var input = copy(given);
    input.request = request;
    return { input: input, fits: fits };
  }
  function lineStep(row) {              // html_steps.step_view, from the step's lines
    var start = lineRecord(row.startLine);
    var end = row.endLine && row.endLine !== row.startLine ? lineRecord(row.endLine) : row.endLine ? start : {};
    var attributes = copy(isDict(start.attributes) ? start.attributes : {});
    if (end !== start && truthy(end.attributes)) Object.keys(end.attributes).forEach(function (k) { attributes[k] = end.attributes[k]; });
    var input = has(start, "input") ? start.input : null;
    if (start.kind === "llm") {
      var whole = wholeInput(row.step);
      input = whole.input;
      if (!whole.fits) attributes.replayable = false;
    }
    var output = has(end, "output") ? end.output : null;
    var usage = dumped(has(end, "usage") ? end.usage : null, USAGE);
    var step = { address: row.address, id: start.id, kind: start.kind, name: start.name, status: row.status,
                 origin: has(start, "origin") ? start.origin : null, duration: row.duration,
                 duration_text: row.durationText, tokens_text: usage ? row.tokensText : "", usage: usage,
                 error: dumped(has(end, "error") ? end.error : null, ERROR), attributes: attributes, input: input, output: output };
    if (start.kind === "llm") step.llm = llmView(input, output, attributes);
    if (start.kind === "tool") step.tool = toolView(start, input, output);
    return step;
  }
  function toolView(start, input, output) {     // model/views.py ToolView.of
    var data = isDict(input) ? input : { arguments: input };
    return { name: pyStr(or(has(data, "name") ? data.name : null, start.name)),
             arguments: has(data, "arguments") ? data.arguments : null,
             call_id: strOrNone(has(data, "call_id") ? data.call_id : null), result: output };
  }
  function titleOf(row) {               // a tool step named apart from its tool: "name (tool)"
    if (row.title === null) {
      var tool = toolView(lineRecord(row.startLine), lineRecord(row.startLine).input, null);
      row.title = tool.name && tool.name !== row.name ? row.name + " (" + tool.name + ")" : row.name;
    }
    return row.title;
  }
  window.agentdbgStepData = stepData;     // what a step shows, rebuilt (the export's tests read it)
