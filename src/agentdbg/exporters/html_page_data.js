// The page script, part 1 of 4 (html_template.html runs the parts in one function, in order): the rows, and
// each step's payload block, parsed on demand, requests rebuilt along their ref chain.
  var data = JSON.parse(document.getElementById("agentdbg-data").textContent);
  var steps = [];                        // tree order: small rows only, from the agentdbg-rows blocks
  Array.prototype.forEach.call(document.querySelectorAll("script.agentdbg-rows"), function (node) {
    JSON.parse(node.textContent).forEach(function (r) {
      steps.push({ step: r[0], address: "step-" + r[0], depth: r[1], kind: r[2], name: r[3], title: r[4],
                   status: r[5], origin: r[6], meta: r[7], startLine: r[8] || 0, endLine: r[9] || 0, base: r[10] || 0,
                   duration: r[11] === undefined ? null : r[11], durationText: r[12] || "", tokensText: r[13] || "" });
    });
  });
  var shown = steps.map(function (_, i) { return i; });  // tree positions passing the filter
  var byStep = {};                       // step number -> tree position
  steps.forEach(function (row, i) { byStep[row.step] = i; });
  var selected = -1;
  var ROW = 24, WINDOW = 1500;           // rows drawn at once; more are drawn as the list scrolls
  var blocks = new Map(), rebuilt = new Map();

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function pretty(value) {
    if (typeof value === "string") return value;
    try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); }
  }
  function keep(cache, key, value, size) {
    cache.set(key, value);
    if (cache.size > size) cache.delete(cache.keys().next().value);
    return value;
  }
  function block(number) {               // a step's payload, parsed when first needed (a few kept)
    var hit = blocks.get(number);
    if (hit) return hit;
    var node = document.getElementById("agentdbg-step-" + number);
    return keep(blocks, number, node ? JSON.parse(node.textContent) : {}, 64);
  }
  function copy(value) { var out = {}; Object.keys(value).forEach(function (k) { out[k] = value[k]; }); return out; }
  // An llm step's request and prompt are written relative to an earlier step (ref: its number and, per
  // request key, -1 "the base's value" or N "the base's first N items, then these"; the prompt's items
  // follow the "messages" key): rebuilt here, walking the chain back to a step already rebuilt.
  function rebuild(number) {
    var step = copy(block(number)), ref = step.ref, base = ref ? rebuilt.get(ref.step) : null;
    delete step.ref;
    if (!step.llm) return step;
    var llm = copy(step.llm);
    if (ref && base && base.input && step.input && step.input.request) {
      var request = {}, written = step.input.request, earlier = (base.input || {}).request || {};
      Object.keys(written).forEach(function (key) {
        var how = ref.keys[key];
        if (how === undefined) request[key] = written[key];
        else if (how === -1) request[key] = earlier[key];
        else request[key] = (earlier[key] || []).slice(0, how).concat(written[key] || []);
      });
      step.input = copy(step.input);
      step.input.request = request;
    }
    if (!("prompt" in llm)) {
      var head = llm.head, items = llm.items || [];
      if (!llm.fresh && ref && base && base.llm) {
        if (head === undefined) head = base.llm.head;
        var how = ref.keys.messages, earlierItems = base.llm.items || [];
        if (how === -1) items = earlierItems;
        else if (how !== undefined) items = earlierItems.slice(0, how).concat(items);
      }
      llm.head = head || [];
      llm.items = items;
      var prompt = llm.head.slice();
      items.forEach(function (group) { group.forEach(function (message) { prompt.push(message); }); });
      llm.prompt = prompt;
    }
    if (!("tools" in llm)) llm.tools = base && base.llm ? base.llm.tools : [];
    step.llm = llm;
    return step;
  }
  function stepData(number) {
    var hit = rebuilt.get(number);
    if (hit) return hit;
    var row = steps[byStep[number]];
    if (row && row.startLine) return keep(rebuilt, number, lineStep(row), 256);
    var chain = [number], cursor = block(number);
    while (cursor.ref && !rebuilt.has(cursor.ref.step) && cursor.ref.step < chain[chain.length - 1]) {
      chain.push(cursor.ref.step);
      cursor = block(cursor.ref.step);
    }
    for (var i = chain.length - 1; i >= 0; i--) keep(rebuilt, chain[i], rebuild(chain[i]), 256);
    return rebuilt.get(number);
  }
