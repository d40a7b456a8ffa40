// matcalc's page: the program is sent to the local server as you type (debounced), the answer
// (derivatives, steps, graph, code) is drawn with KaTeX, and the state lives in the URL.
"use strict";

const EXAMPLE = "u^T f(W x + b)";
const DEBOUNCE_MS = 250;
const $ = (id) => document.getElementById(id);

const state = { program: EXAMPLE, wrt: ["W"], claim: "", claimWrt: "", target: "numpy", data: null };
let sequence = 0;          // answers to older requests are dropped
let timer = null;

function readUrl() {
  const params = new URLSearchParams(location.search);
  if (params.has("program")) {
    state.program = params.get("program");
    state.wrt = [];
  }
  const wrt = params.getAll("wrt").flatMap((w) => w.split(",")).map((w) => w.trim()).filter(Boolean);
  if (wrt.length) state.wrt = wrt;
  state.claim = params.get("claim") || "";
  state.claimWrt = params.get("claim_wrt") || "";
}

function writeUrl() {
  const params = new URLSearchParams();
  params.set("program", state.program);
  for (const w of state.wrt) params.append("wrt", w);
  if (state.claim) params.set("claim", state.claim);
  if (state.claim && state.claimWrt && state.claimWrt !== state.wrt[0]) params.set("claim_wrt", state.claimWrt);
  history.replaceState(null, "", "?" + params.toString());
}

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify(body) });
  return response.json();
}

function typeset(element, latex) {
  if (window.katex) {
    window.katex.render(latex, element, { displayMode: true, throwOnError: false, output: "htmlAndMathml" });
  } else {
    element.textContent = latex;
  }
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  for (const c of children) node.append(c);
  return node;
}

// ---------------------------------------------------------------- the program

function schedule() {
  clearTimeout(timer);
  $("status").textContent = "…";
  timer = setTimeout(analyze, DEBOUNCE_MS);
}

async function analyze() {
  const mine = ++sequence;
  writeUrl();
  let data;
  try {
    data = await post("/api/analyze", { program: state.program, wrt: state.wrt });
  } catch (err) {
    if (mine === sequence) $("status").textContent = "the matcalc server does not answer (is `matcalc serve` running?)";
    return;
  }
  if (mine !== sequence) return;
  $("status").textContent = "";
  render(data);
}

function showError(error) {
  $("error").hidden = !error;
  $("error-text").textContent = error ? error.text : "";
  $("program").classList.toggle("bad", !!error && error.field === "program");
}

function render(data) {
  state.data = data;
  const programBroken = data.error && data.error.field === "program";
  showError(data.error || null);
  document.body.dataset.state = programBroken ? "error" : data.results && data.results.length ? "derived" : "read";
  if (programBroken) {
    for (const id of ["results-section", "steps-section", "code-section", "check-section", "graph-section",
                      "declarations-box"]) $(id).hidden = true;
    return;
  }
  if (!state.wrt.length && data.wrt.length) state.wrt = [...data.wrt];  // the one variable, chosen for you
  renderDeclarations(data);
  renderResults(data);
  renderSteps(data);
  renderGraph(data);
  renderCode(data);
  renderCheck(data);
}

function renderDeclarations(data) {
  $("declarations-box").hidden = !data.declarations.length;
  const body = $("declarations").querySelector("tbody");
  body.replaceChildren();
  for (const d of data.declarations) {
    const shape = el("input", { type: "text", value: d.shape, class: "shape", title: "n x m, n, 1 x n or scalar" });
    shape.dataset.name = d.name;
    shape.addEventListener("change", () => declare(d.name, shape.value.trim()));
    const box = el("input", { type: "checkbox", checked: state.wrt.includes(d.name) || data.wrt.includes(d.name) });
    box.dataset.name = d.name;
    box.addEventListener("change", () => {
      state.wrt = box.checked ? [...state.wrt.filter((w) => w !== d.name), d.name] : state.wrt.filter((w) => w !== d.name);
      schedule();
    });
    const props = d.properties.length ? " " + d.properties.join(" ") : "";
    body.append(el("tr", {}, el("td", {}, el("code", {}, d.name)), el("td", {}, shape),
                   el("td", { class: "how" }, (d.declared ? "declared" : "inferred") + props), el("td", {}, box)));
  }
}

// change (or add) the declaration `name : shape` in the program text
function declare(name, shape) {
  if (!shape) return;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp("^\\s*" + escaped + "\\s*(:|\\bin\\b)");
  const lines = state.program.split("\n");
  let done = false;
  const out = lines.map((line) => line.split(";").map((part) => {
    if (!done && pattern.test(part)) { done = true; return `${part.match(/^\s*/)[0]}${name} : ${shape}`; }
    return part;
  }).join(";"));
  state.program = done ? out.join("\n") : `${name} : ${shape}\n${state.program}`;
  $("program").value = state.program;
  schedule();
}

function renderResults(data) {
  const box = $("results");
  box.replaceChildren();
  $("results-section").hidden = !data.results.length;
  if (data.note && !data.results.length) box.append(el("p", { class: "status" }, data.note));
  for (const r of data.results) {
    const math = el("div", { class: "math" });
    typeset(math, r.latex);
    const code = el("code", {}, r.text);
    const copy = el("button", { type: "button", title: "copy the text (it parses back)" }, "Copy");
    copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(r.text));
    const item = el("div", { class: "derivative" }, math,
                    el("div", { class: "text" }, el("span", {}, r.label + " ="), code,
                       el("span", { class: "shape" }, `(${r.shape}, ${r.kind})`), copy));
    item.dataset.wrt = r.wrt;
    box.append(item);
  }
}

function renderSteps(data) {
  const box = $("steps");
  box.replaceChildren();
  const shown = data.results.filter((r) => r.steps_latex);
  $("steps-section").hidden = !shown.length;
  for (const r of shown) {
    const math = el("div", { class: "math" });
    typeset(math, r.steps_latex);
    box.append(el("details", { open: shown.length === 1 }, el("summary", {}, r.label), math));
  }
}

function renderGraph(data) {
  const g = data.graph;
  $("graph-section").hidden = !g;
  if (!g) return;
  if (g.svg) $("graph").innerHTML = g.svg.replace(/^[\s\S]*?(<svg)/, "$1");  // our own dot output
  else $("graph").replaceChildren(el("pre", { class: "status" }, g.error));
}

function renderCode(data) {
  const targets = data.code || {};
  const names = Object.keys(targets);
  $("code-section").hidden = !names.length;
  if (!names.length) return;
  if (!names.includes(state.target)) state.target = names[0];
  const tabs = $("code-tabs");
  tabs.replaceChildren();
  if (names.length > 1) {
    for (const name of names) {
      const b = el("button", { type: "button", class: name === state.target ? "on" : "" }, name);
      b.addEventListener("click", () => { state.target = name; renderCode(state.data); });
      tabs.append(b);
    }
  }
  const t = targets[state.target];
  $("code").textContent = t.source || t.error;
}

// ---------------------------------------------------------------- check my answer

function renderCheck(data) {
  $("check-section").hidden = !data.variables.length;
  const select = $("claim-wrt");
  const want = state.claimWrt && data.variables.includes(state.claimWrt) ? state.claimWrt
    : data.wrt.find((w) => data.variables.includes(w)) || data.variables[0];
  select.replaceChildren(...data.variables.map((v) => el("option", { value: v, selected: v === want }, v)));
  state.claimWrt = want;
  $("claim-label").textContent = `∂${data.function || "s"}/∂`;
  if (state.claim && $("verdict").hidden) check();
}

async function check() {
  state.claim = $("claim").value;
  state.claimWrt = $("claim-wrt").value;
  writeUrl();
  const data = await post("/api/check", { program: state.program, wrt: state.claimWrt, claim: state.claim });
  const box = $("verdict");
  box.hidden = false;
  $("claim").classList.toggle("bad", !!data.error);
  if (data.error) {
    box.className = "refuted";
    box.dataset.reason = "error";
    $("verdict-text").textContent = data.error.text;
    return;
  }
  const v = data.verdict;
  box.className = v.ok ? "right" : "refuted";
  box.dataset.reason = v.reason;
  $("verdict-text").replaceChildren(el("span", { class: "word" }, v.ok ? "right" : "not right"), "\n" + v.message);
}

// ---------------------------------------------------------------- start

function start() {
  readUrl();
  $("program").value = state.program;
  $("claim").value = state.claim;
  $("program").addEventListener("input", () => {
    state.program = $("program").value;
    $("verdict").hidden = true;  // a verdict on the old program: checked again once the new one is read
    schedule();
  });
  $("check").addEventListener("click", check);
  $("claim").addEventListener("keydown", (e) => { if (e.key === "Enter") check(); });
  $("claim").addEventListener("input", () => { $("claim").classList.remove("bad"); });
  $("claim-wrt").addEventListener("change", () => { state.claimWrt = $("claim-wrt").value; writeUrl(); });
  $("copy-code").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText($("code").textContent));
  analyze();
}

document.addEventListener("DOMContentLoaded", start);
