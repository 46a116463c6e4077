// Small helpers to build the DOM without innerHTML (every value is inserted as text).

/** `h("button.primary", { onclick }, "Save")`: tag with optional classes and id, props, children. */
export function h(spec, props = {}, ...children) {
  const [, tag, rest] = spec.match(/^([a-z0-9-]+)(.*)$/i);
  const element = document.createElement(tag);
  for (const part of rest.match(/[.#][^.#]+/g) ?? []) {
    if (part[0] === ".") element.classList.add(part.slice(1));
    else element.id = part.slice(1);
  }
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name in element && name !== "list" && name !== "form") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A table with a header row; `rows` are arrays of cells (text or nodes). */
export function table(headings, rows, emptyText = "Nothing here yet.") {
  if (rows.length === 0) return h("p.empty", {}, emptyText);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headings.map((heading) => h("th", {}, heading)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell ?? ""))))),
  );
}

export const code = (text) => h("code", {}, String(text ?? ""));

/** The status line at the bottom of the page. */
export function say(text, isError = false) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = isError ? "error" : text ? "ok" : "";
}

export function sayError(error) {
  say(error.message || String(error), true);
}

/** Runs `action` for a form submit or button click, reporting failures in the status line. */
export function guarded(action) {
  return async (event) => {
    event?.preventDefault?.();
    say("");
    try {
      await action(event);
    } catch (error) {
      sayError(error);
    }
  };
}

/** A card: a titled section of a page. */
export function card(title, ...children) {
  return h("section.card", {}, title ? h("h2", {}, title) : null, ...children);
}

/** Parses a JSON object typed by the operator, with a message naming the field. */
export function parseObject(text, what) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${error.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object such as {"name": "value"}.`);
  }
  return value;
}

export function formatTime(value) {
  if (value === null || value === undefined || value === "") return "";
  const date = typeof value === "number" ? new Date(value) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** A secret shown once, with a copy button. */
export function secret(label, value) {
  const copy = h("button.small.secondary", {
    type: "button",
    onclick: () => navigator.clipboard?.writeText(value).then(() => say(`${label} copied.`)),
  }, "Copy");
  return h("div.secret", {}, h("span", {}, label), code(value), copy);
}
