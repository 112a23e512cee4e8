// The page script, part 4 of 4: the tree, the step pane, the filter and the keys.
  function fact(parent, label, text) {
    if (text === undefined || text === null || text === "") return;
    var span = el("span", null, label + ": ");
    span.appendChild(el("strong", null, text));
    parent.appendChild(span);
  }
  function pre(text, cls) {
    var box = el("pre", cls);
    box.textContent = text;
    return box;
  }
  function section(parent, title, id) {
    var heading = el("h3", null, title);
    var box = el("div", "section");
    if (id) box.id = id;
    parent.appendChild(heading);
    parent.appendChild(box);
    return box;
  }
  function rawBlock(parent, title, content) {
    if (content === undefined || content === null) return;
    var details = el("details");
    details.appendChild(el("summary", null, title));
    details.appendChild(pre(pretty(content)));
    parent.appendChild(details);
  }

  function renderMessage(message) {
    message = message || { role: "?", text: "" };
    var box = el("div", "msg role-" + String(message.role).replace(/[^a-z]/g, ""));
    var label = message.role;
    if (message.tool_name) label += " · " + message.tool_name;
    if (message.tool_call_id) label += " · result of " + message.tool_call_id;
    if (message.is_error) label += " · error";
    box.appendChild(el("div", "role", label));
    (message.reasoning || []).forEach(function (text) {
      var part = el("div", "reasoning");
      part.appendChild(el("div", "label", "reasoning"));
      part.appendChild(pre(text));
      box.appendChild(part);
    });
    if (message.text) box.appendChild(pre(message.text, "text"));
    (message.attachments || []).forEach(function (text) { box.appendChild(pre(text, "attachment")); });
    (message.tool_calls || []).forEach(function (call) {
      var part = el("div", "call");
      part.appendChild(el("div", "label", "tool call " + call.name + (call.id ? "  (" + call.id + ")" : "")));
      part.appendChild(pre(pretty(call.arguments)));
      box.appendChild(part);
    });
    return box;
  }
  var KEEP_LAST = 4;
  function renderMessages(parent, messages) {
    if (!messages || !messages.length) { parent.appendChild(el("p", "empty", "(none)")); return; }
    // A long history: the system prompt and the last few messages open, the ones between folded.
    var head = messages[0] && (messages[0].role === "system" || messages[0].role === "developer") ? 1 : 0;
    var folded = messages.length - head - KEEP_LAST;
    if (folded < 3) {
      messages.forEach(function (message) { parent.appendChild(renderMessage(message)); });
      return;
    }
    messages.slice(0, head).forEach(function (message) { parent.appendChild(renderMessage(message)); });
    var earlier = el("details", "earlier");
    earlier.appendChild(el("summary", null, folded + " earlier messages"));
    messages.slice(head, head + folded).forEach(function (message) { earlier.appendChild(renderMessage(message)); });
    parent.appendChild(earlier);
    messages.slice(head + folded).forEach(function (message) { parent.appendChild(renderMessage(message)); });
  }

  function renderFindings(parent, address) {
    var mine = (data.findings || []).filter(function (f) { return f.step === address; });
    if (!mine.length) return;
    var box = section(parent, "Findings", "step-findings");
    mine.forEach(function (f) {
      var item = el("div", "finding");
      item.appendChild(el("span", "sev-" + f.severity, f.severity + " "));
      item.appendChild(el("strong", null, f.title));
      item.appendChild(pre(f.evidence));
      if (f.fix) item.appendChild(pre("fix: " + f.fix, "finding-fix"));
      box.appendChild(item);
    });
  }

  function renderStep(number) {
    var step = stepData(number);
    var detail = document.getElementById("detail");
    detail.textContent = "";
    detail.appendChild(el("h2", null, step.address + "  " + step.kind + "  " + step.name));
    var facts = el("div", "facts");
    fact(facts, "status", step.status);
    fact(facts, "duration", step.duration_text);
    if (step.llm) { fact(facts, "model", step.llm.model); fact(facts, "api", step.llm.api); }
    fact(facts, "tokens", step.tokens_text);
    fact(facts, "origin", step.origin);
    fact(facts, "span id", step.id);
    detail.appendChild(facts);
    renderFindings(detail, step.address);

    if (step.error) {
      var error = section(detail, "Error", "error");
      var text = (step.error.type || "Error") + ": " + (step.error.message || "");
      if (step.error.status_code) text += "  (HTTP " + step.error.status_code + ")";
      error.appendChild(pre(text, "error"));
      if (step.error.body !== undefined) rawBlock(error, "error body", step.error.body);
      if (step.error.traceback) rawBlock(error, "traceback", step.error.traceback);
    }
    if (step.llm) {
      renderMessages(section(detail, "Prompt", "prompt"), step.llm.prompt);
      renderMessages(section(detail, "Response", "response"), step.llm.answer);
      if (step.llm.tools && step.llm.tools.length) {
        var tools = section(detail, "Tools offered", "tools");
        step.llm.tools.forEach(function (tool) {
          tool = tool || {};
          rawBlock(tools, tool.name + (tool.description ? " — " + tool.description : ""), tool.parameters || {});
        });
      }
      if (step.llm.params && Object.keys(step.llm.params).length) {
        section(detail, "Parameters", "params").appendChild(pre(pretty(step.llm.params)));
      }
    }
    if (step.tool) {
      var call = section(detail, "Tool call", "tool-call");
      call.appendChild(el("div", "label", step.tool.name + (step.tool.call_id ? "  (" + step.tool.call_id + ")" : "")));
      call.appendChild(pre(pretty(step.tool.arguments)));
      section(detail, "Tool result", "tool-result").appendChild(pre(step.tool.result == null ? "(none)" : pretty(step.tool.result)));
    }
    if (step.usage) section(detail, "Usage", "usage").appendChild(pre(pretty(step.usage)));
    if (!step.llm && !step.tool) {
      var io = section(detail, "Input / output", "io");
      io.appendChild(el("div", "label", "input"));
      io.appendChild(pre(pretty(step.input)));
      io.appendChild(el("div", "label", "output"));
      io.appendChild(pre(pretty(step.output)));
    }
    var raw = section(detail, "Raw record", "raw");
    jumpLinks(detail, facts);
    rawBlock(raw, "input (as recorded)", step.input);
    rawBlock(raw, "output (as recorded)", step.output);
    if (step.attributes && Object.keys(step.attributes).length) rawBlock(raw, "attributes", step.attributes);
  }

  function jumpLinks(detail, after) {
    var nav = el("nav", "jump");
    Array.prototype.forEach.call(detail.querySelectorAll("div.section"), function (box) {
      if (box.id === "step-findings") return;
      var button = el("button", null, box.previousSibling.textContent);
      button.type = "button";
      button.addEventListener("click", function () { box.previousSibling.scrollIntoView({ block: "start" }); });
      nav.appendChild(button);
    });
    after.parentNode.insertBefore(nav, after.nextSibling);
  }

  function rowText(row) {
    return [row.address, row.kind, titleOf(row), row.meta, row.origin && row.origin !== "recorded" ? row.origin : "",
            row.status !== "ok" ? row.status : ""].join(" ").toLowerCase();
  }
  var tree = document.getElementById("tree");
  var drawnFrom = 0, drawnTo = 0;
  function rowButton(position) {
    var row = steps[position];
    var item = el("li");
    var button = el("button", "step status-" + row.status + (position === selected ? " selected" : ""));
    button.type = "button";
    button.setAttribute("role", "option");
    button.setAttribute("aria-selected", position === selected ? "true" : "false");
    button.dataset.step = row.address;
    button.dataset.position = String(position);
    button.style.paddingLeft = (10 + 16 * (Number(row.depth) || 0)) + "px";
    button.appendChild(el("span", "addr", row.address));
    button.appendChild(el("span", "kind kind-" + row.kind, row.kind));
    button.appendChild(el("span", "name", titleOf(row)));
    if (row.meta) button.appendChild(el("span", "meta", row.meta));
    if (row.origin && row.origin !== "recorded") button.appendChild(el("span", "origin meta", row.origin));
    if (row.status !== "ok") button.appendChild(el("span", "badge meta", row.status));
    button.addEventListener("click", function () { select(position, false); });
    item.appendChild(button);
    return item;
  }
  function pad(rows) {
    var item = el("li", "pad");
    item.style.height = (rows * ROW) + "px";
    return item;
  }
  function draw(around) {                // only a window of rows exists in the page; pads keep the scroll size
    var from = Math.max(0, Math.min(around - (WINDOW >> 1), shown.length - WINDOW));
    var to = Math.min(shown.length, from + WINDOW);
    drawnFrom = from; drawnTo = to;
    tree.textContent = "";
    if (from) tree.appendChild(pad(from));
    for (var i = from; i < to; i++) tree.appendChild(rowButton(shown[i]));
    if (to < shown.length) tree.appendChild(pad(shown.length - to));
  }
  tree.addEventListener("scroll", function () {
    if (shown.length <= WINDOW) return;
    var first = Math.floor(tree.scrollTop / ROW);
    if (first < drawnFrom + 100 && drawnFrom > 0 || first > drawnTo - 200 && drawnTo < shown.length) draw(first + 20);
  });
  function buttonOf(position) { return tree.querySelector('button.step[data-position="' + position + '"]'); }

  function applyFilter() {
    var query = document.getElementById("filter").value.trim().toLowerCase();
    shown = [];
    steps.forEach(function (row, i) { if (!query || rowText(row).indexOf(query) >= 0) shown.push(i); });
    draw(Math.max(0, shown.indexOf(selected)));
  }

  function select(position, focus) {
    if (position < 0 || position >= steps.length) return;
    var old = buttonOf(selected);
    if (old) { old.classList.remove("selected"); old.setAttribute("aria-selected", "false"); }
    selected = position;
    var at = shown.indexOf(position);
    if (at >= 0 && (at < drawnFrom || at >= drawnTo)) draw(at);
    var button = buttonOf(position);
    if (button) {
      button.classList.add("selected");
      button.setAttribute("aria-selected", "true");
      if (focus) button.focus();
    }
    renderStep(steps[position].step);
    try { history.replaceState(null, "", "#" + steps[position].address); } catch (e) { /* file:// may refuse */ }
  }

  tree.addEventListener("keydown", function (event) {
    var direction = event.key === "ArrowDown" || event.key === "j" ? 1 : event.key === "ArrowUp" || event.key === "k" ? -1 : 0;
    if (!direction) return;
    var at = shown.indexOf(selected) + direction;
    if (at >= 0 && at < shown.length) select(shown[at], true);
    event.preventDefault();
  });

  function renderFindingList() {
    var list = data.findings || [];
    var box = document.getElementById("findings");
    if (!list.length && !data.findings_note) return;
    box.hidden = false;
    document.getElementById("findings-title").textContent =
      list.length ? "Findings (" + list.length + ")" : "Findings";
    var ol = document.getElementById("findings-list");
    if (data.findings_note) ol.appendChild(el("li", "empty", data.findings_note));
    list.forEach(function (f) {
      var item = el("li");
      item.appendChild(el("span", "sev-" + f.severity, f.severity + " "));
      if (f.step) {
        var link = el("button", "link", f.step);
        link.type = "button";
        link.addEventListener("click", function () {
          var number = Number(String(f.step).replace("step-", ""));
          if (number in byStep) select(byStep[number], true);
        });
        item.appendChild(link);
        item.appendChild(document.createTextNode(" "));
      }
      item.appendChild(el("span", null, f.title + " — " + f.evidence));
      ol.appendChild(item);
    });
  }

  var trace = data.trace || {};
  var title = trace.name || trace.trace_id || "trace";
  document.title = "agentdbg · " + title;
  document.getElementById("trace-name").textContent = title;
  var totals = trace.totals || {};
  var text = trace.totals_text || {};
  var summary = [totals.steps + " steps"];
  if (text.tokens) summary.push(text.tokens);
  if (text.duration) summary.push(text.duration);
  if (totals.errors) summary.push(totals.errors + " error(s)");
  if (totals.incomplete) summary.push(totals.incomplete + " incomplete");
  document.getElementById("totals").textContent = summary.join(" · ");
  document.getElementById("generator").textContent = data.generator || "";
  if (trace.fork_of) {
    var fork = trace.fork_of;
    document.getElementById("fork").textContent =
      "fork of " + (fork.source || fork.trace_id) + (fork.step ? " at " + fork.step : "");
  }
  renderFindingList();
  document.getElementById("filter").addEventListener("input", applyFilter);
  if (!steps.length) { document.getElementById("detail").textContent = "This trace has no steps."; return; }
  var wanted = (location.hash || "").replace(/^#/, "");
  var start = 0;
  steps.forEach(function (row, i) { if (row.address === wanted) start = i; });
  draw(start);
  select(start, false);
