// The home page: this node's traffic, every backend with its counts, creating one, and the trash.
import { consoleApi, tools } from "../api.js";
import { card, code, guarded, h, say, secret, svg, table } from "../dom.js";

export async function render(page, context) {
  const traffic = h("div.chart");
  const trafficSummary = h("p.hint#traffic-summary");
  const created = h("div");
  const rows = h("div");
  const trash = h("div");
  const search = h("input", { type: "search", placeholder: "Filter by name", "aria-label": "Filter backends by name" });

  const form = h(
    "form#create-form.inline",
    {
      onsubmit: guarded(async () => {
        const body = {
          name: form.elements.name.value.trim(),
          version: form.elements.version.value.trim() || "1.0",
          desc: form.elements.desc.value.trim() || undefined,
        };
        const { body: backend } = await tools("POST", "/mobilebackends", body);
        form.reset();
        created.replaceChildren(createdSecrets(backend));
        say(`Created ${backend.name}.`);
        await loadBackends();
      }),
    },
    h("label", {}, "Name", h("input#backend-name", {
      name: "name",
      required: true,
      maxLength: 100,
      pattern: "[A-Za-z][A-Za-z0-9_]*",
      title: "A letter, then letters, digits or underscores",
    })),
    h("label", {}, "Version", h("input.short", { name: "version", placeholder: "1.0" })),
    h("label.grow", {}, "Description", h("input", { name: "desc" })),
    h("button", { type: "submit" }, "Create backend"),
  );

  page.append(
    card(
      "Traffic on this node",
      trafficSummary,
      traffic,
      h("p.hint", {}, "Requests answered by this node per minute over the last hour, kept in memory since it started. " +
        "With several nodes behind a load balancer, each shows its own share."),
    ),
    card("Create a mobile backend", form, created),
    card("Mobile backends", h("div.toolbar", {}, search), rows),
    card("Trash", h("p.hint", {}, "Trashed backends refuse their apps' calls until restored."), trash),
  );

  async function loadTraffic() {
    const { minutes } = await consoleApi("/traffic");
    drawTraffic(traffic, minutes);
    const last = minutes[minutes.length - 1];
    const hour = minutes.reduce((sum, m) => ({
      requests: sum.requests + m.requests,
      errors: sum.errors + m.clientErrors + m.serverErrors,
      serverErrors: sum.serverErrors + m.serverErrors,
    }), { requests: 0, errors: 0, serverErrors: 0 });
    trafficSummary.replaceChildren(
      h("span.figure", {}, h("b", {}, String(last.requests)), " requests this minute"),
      h("span.figure", {}, h("b", {}, String(hour.requests)), " in the last hour"),
      h("span.figure", {}, h("b", {}, String(hour.errors)), " errors (", String(hour.serverErrors), " server errors)"),
    );
  }

  async function loadBackends() {
    const query = search.value.trim() ? `&q=${encodeURIComponent(search.value.trim())}` : "";
    const { body: list } = await tools("GET", `/mobilebackends?limit=100&totalResults=true&orderBy=name:asc${query}`);
    const countCells = new Map();
    const more = list.hasMore
      ? h("p.hint", {}, `Showing the first ${list.count} of ${list.totalResults}; filter by name to find the others.`)
      : null;
    rows.replaceChildren(more ?? "", table(
      ["Name", "Version", "State", "Users", "Collections", "Items", "Created", ""],
      list.items.map((backend) => {
        const cells = ["users", "collections", "items"].map((name) => h("span.count", { dataset: { count: name } }, "…"));
        countCells.set(backend.id, cells);
        return [
          h("a.backend-link", { href: `#/b/${backend.id}` }, backend.name),
          backend.version,
          backend.inactive ? h("span.badge.warn", {}, "inactive") : h("span.badge.ok", {}, "active"),
          ...cells,
          new Date(backend.createdOn).toLocaleDateString(),
          h("button.small.danger", {
            type: "button",
            title: "Move to the trash",
            onclick: guarded(async () => {
              await trashAction("trashing", backend.id);
              say(`${backend.name} is in the trash.`);
              await Promise.all([loadBackends(), loadTrash()]);
            }),
          }, "Trash"),
        ];
      }),
      search.value ? "No backend matches." : "No mobile backends yet: create the first above.",
    ));
    // Counts come one backend at a time, so one slow backend does not hold up the list.
    await Promise.all([...countCells].map(async ([id, cells]) => {
      try {
        const counts = await consoleApi(`/backends/${id}/counts`);
        cells[0].textContent = counts.users;
        cells[1].textContent = counts.collections;
        cells[2].textContent = counts.items;
      } catch {
        cells.forEach((cell) => { cell.textContent = "?"; });
      }
    }));
  }

  async function loadTrash() {
    const { body: list } = await tools("GET", "/mobilebackends?limit=100&filterType=TRASH");
    trash.replaceChildren(table(
      ["Name", "Version", "Trashed", ""],
      list.items.map((backend) => [
        backend.name,
        backend.version,
        new Date(backend.deletedOn ?? backend.modifiedOn).toLocaleString(),
        h("span.actions", {},
          h("button.small", {
            type: "button",
            onclick: guarded(async () => {
              await trashAction("untrashing", backend.id);
              say(`${backend.name} is restored.`);
              await Promise.all([loadBackends(), loadTrash()]);
            }),
          }, "Restore"),
          h("button.small.danger", {
            type: "button",
            onclick: guarded(async () => {
              if (!confirm(`Delete ${backend.name} and all its data for good?`)) return;
              await trashAction("purging", backend.id);
              say(`${backend.name} is deleted for good.`);
              await loadTrash();
            }),
          }, "Delete for good")),
      ]),
      "The trash is empty.",
    ));
  }

  let searchTimer;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadBackends().catch((error) => say(error.message, true)), 250);
  });

  await Promise.all([loadTraffic(), loadBackends(), loadTrash()]);
  context.every(5000, loadTraffic);
}

function trashAction(action, id) {
  return tools("POST", `/assets/${action}`, { ids: [id] }, { "If-Match": "*" });
}

/** What a new backend's answer holds only once. */
export function createdSecrets(backend) {
  return h(
    "div.notice#created-secrets",
    {},
    h("p", {}, h("b", {}, backend.name), " was created. Copy these now: Berth keeps only their digests."),
    secret("Monaca app API key", backend.monacaApiKey ?? ""),
    backend.managementKey ? secret("Management API key", backend.managementKey.key) : null,
    h("p.hint", {}, "Backend id ", code(backend.id), " — app endpoint ", code(backend.monacaEndpoint)),
    h("p", {}, h("a", { href: `#/b/${backend.id}` }, `Open ${backend.name} →`)),
  );
}

/** A bar chart of requests per minute, with errors stacked in red. */
function drawTraffic(container, minutes) {
  const width = 600;
  const height = 120;
  const max = Math.max(1, ...minutes.map((m) => m.requests));
  const barWidth = width / minutes.length;
  const bars = minutes.filter((minute) => minute.requests > 0).flatMap((minute) => {
    const index = minutes.indexOf(minute);
    const x = index * barWidth + 1;
    const total = (minute.requests / max) * (height - 14);
    const errors = ((minute.clientErrors + minute.serverErrors) / max) * (height - 14);
    const label = `${new Date(minute.start * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ` +
      `${minute.requests} requests, ${minute.clientErrors} client errors, ${minute.serverErrors} server errors`;
    return [
      svg("rect", { x, y: height - total, width: barWidth - 2, height: total, class: "bar" }, svg("title", {}, label)),
      svg("rect", { x, y: height - errors, width: barWidth - 2, height: errors, class: "bar-error" }, svg("title", {}, label)),
    ];
  });
  container.replaceChildren(
    h("span.axis", {}, `${max} per minute`),
    svg(
      "svg",
      {
        viewBox: `0 0 ${width} ${height}`,
        preserveAspectRatio: "none",
        role: "img",
        "aria-label": "Requests per minute over the last hour",
      },
      svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "baseline" }),
      ...bars,
    ),
    h("div.axis.time", {}, h("span", {}, "an hour ago"), h("span", {}, "now")),
  );
}
