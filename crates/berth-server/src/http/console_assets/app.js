// Berth console: a single page with hash routes. Each page is a module with
// `render(view, context)`; the backend pages are listed in BACKEND_PAGES, so a new surface (push,
// devices, storage) plugs in with one line.
import { session, tools } from "./api.js";
import { h, say, sayError } from "./dom.js";
import * as backends from "./pages/backends.js";
import * as backend from "./pages/backend.js";
import * as collections from "./pages/collections.js";
import * as users from "./pages/users.js";
import * as activity from "./pages/activity.js";
import * as push from "./pages/push.js";

/**
 * The tabs of one backend: route segment, label, page, and whether the page reads the backend's
 * data (the Management API refuses that while the backend is in the trash).
 */
const BACKEND_PAGES = [
  { path: "", label: "Overview", page: backend.overview },
  { path: "keys", label: "Keys", page: backend.keys },
  { path: "settings", label: "Settings", page: backend.settings, data: true },
  { path: "collections", label: "Collections", page: collections.list, data: true },
  { path: "users", label: "Users", page: users.list, data: true },
  { path: "devices", label: "Devices", page: push.devices, data: true },
  { path: "push", label: "Push", page: push.compose, data: true },
  { path: "analytics", label: "Analytics", page: activity.analytics },
  { path: "mail", label: "Mail outbox", page: activity.mail, data: true },
];

const $ = (id) => document.getElementById(id);
let timers = [];
let generation = 0;

function stopTimers() {
  timers.forEach(clearInterval);
  timers = [];
}

/** What every page gets: where it is, and helpers that die with the page. */
function context(route) {
  const mine = generation;
  return {
    ...route,
    go: (hash) => {
      location.hash = hash;
    },
    refresh: () => show(),
    /** Calls `action` every `ms` until the operator leaves the page. */
    every: (ms, action) => {
      timers.push(setInterval(() => {
        if (mine === generation) action().catch(sayError);
      }, ms));
    },
    current: () => mine === generation,
  };
}

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== "b" || !parts[1]) return { kind: "home" };
  const [, backendId, tab = "", ...rest] = parts;
  return { kind: "backend", backendId, tab, rest };
}

async function show() {
  generation += 1;
  stopTimers();
  const view = $("view");
  const route = parseRoute();
  const crumbs = [h("a", { href: "#/" }, "Mobile backends")];
  try {
    if (route.kind === "home") {
      $("crumbs").replaceChildren(...crumbs);
      const page = h("div.page");
      view.replaceChildren(page);
      await backends.render(page, context(route));
      return;
    }
    const entry = BACKEND_PAGES.find((candidate) => candidate.path === route.tab);
    if (!entry) {
      location.hash = `#/b/${route.backendId}`;
      return;
    }
    const { body: current, etag } = await tools("GET", `/mobilebackends/${route.backendId}`);
    crumbs.push(h("span", {}, "›"), h("a", { href: `#/b/${current.id}` }, current.name));
    $("crumbs").replaceChildren(...crumbs);
    const tabs = h(
      "nav.tabs",
      { "aria-label": "Backend pages" },
      BACKEND_PAGES.map(({ path, label }) =>
        h("a", {
          href: `#/b/${current.id}${path ? "/" + path : ""}`,
          className: path === route.tab ? "active" : "",
          "aria-current": path === route.tab ? "page" : null,
        }, label)),
    );
    const title = h(
      "div.title",
      {},
      h("h1", {}, current.name),
      current.inTrash ? h("span.badge.danger", {}, "in trash") : null,
      current.inactive ? h("span.badge.warn", {}, "inactive") : null,
    );
    const page = h("div.page");
    view.replaceChildren(title, tabs, page);
    if (entry.data && current.inTrash) {
      page.append(h("section.card", {}, h("h2", {}, "In the trash"),
        h("p", {}, "Restore this backend on its Overview page to see and change its data.")));
      return;
    }
    await entry.page(page, context({ ...route, backend: current, etag }));
  } catch (error) {
    if (error.status === 401) {
      signOut("The admin token is no longer valid; sign in again.");
      return;
    }
    view.replaceChildren(h("section.card", {}, h("h2", {}, "Cannot show this page"), h("p", {}, error.message)));
  }
}

function signOut(message = "") {
  session.signOut();
  stopTimers();
  $("view").replaceChildren();
  $("crumbs").replaceChildren();
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  say(message, Boolean(message));
}

async function signIn(token) {
  session.signIn(token);
  try {
    await tools("GET", "/mobilebackends?limit=1");
  } catch (error) {
    session.signOut();
    say(error.status === 401 ? "That admin token is not valid." : error.message, true);
    return;
  }
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  say("");
  await show();
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("token").value.trim());
  $("token").value = "";
});
$("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", () => {
  if (session.token()) {
    say("");
    show();
  }
});

if (session.token()) signIn(session.token());
else signOut();
