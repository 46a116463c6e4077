// What a backend's apps did: analytics events (Oracle) and the mail outbox (Monaca).
import { manage, tools } from "../api.js";
import { card, code, formatTime, guarded, h, table } from "../dom.js";

export async function analytics(page, context) {
  const id = context.backend.id;
  const state = { offset: 0, limit: 50 };
  const rows = h("div");
  const pager = h("div.pager");
  const form = h(
    "form.inline",
    { onsubmit: guarded(async () => { state.offset = 0; await load(); }) },
    h("label.grow", {}, "Event name", h("input", { name: "name", type: "search", placeholder: "all events" })),
    h("button", { type: "submit" }, "Show"),
  );

  async function load() {
    const name = form.elements.name.value.trim();
    const query = `limit=${state.limit}&offset=${state.offset}${name ? `&name=${encodeURIComponent(name)}` : ""}`;
    const { body: list } = await tools("GET", `/mobilebackends/${id}/analytics/events?${query}`);
    rows.replaceChildren(table(
      ["Name", "Type", "Time", "User", "Device", "Session", "Properties"],
      list.items.map((event) => [
        event.name,
        event.type ?? "",
        formatTime(event.timestamp),
        event.userId ?? "",
        event.deviceID ?? "",
        event.sessionID ?? "",
        h("code.preview", {}, event.properties ? JSON.stringify(event.properties) : ""),
      ]),
      "No events yet: apps post them to /mobile/platform/analytics/events.",
    ));
    pager.replaceChildren(
      h("span.count", {}, `${list.totalResults} event${list.totalResults === 1 ? "" : "s"}`),
      h("button.small.secondary", { type: "button", disabled: state.offset === 0, onclick: guarded(async () => { state.offset = Math.max(0, state.offset - state.limit); await load(); }) }, "‹ Newer"),
      h("button.small.secondary", { type: "button", disabled: !list.hasMore, onclick: guarded(async () => { state.offset += state.limit; await load(); }) }, "Older ›"),
    );
  }

  page.append(card("Analytics events", form, pager, rows));
  await load();
  context.every(10000, load);
}

export async function mail(page, context) {
  const id = context.backend.id;
  const rows = h("div");

  async function load() {
    const { items } = await manage(id, "Mailer.listOutbox", { page: 1, itemsInPage: 100 });
    rows.replaceChildren(table(
      ["Created", "To", "Subject", "Template", "Status", "Error"],
      items.map((mail) => [
        formatTime(mail._createdAt),
        code(mail.to),
        mail.subject,
        mail.templateName ?? "",
        h(`span.badge.${mail.status === "sent" ? "ok" : mail.status === "failed" ? "danger" : "warn"}`, {}, mail.status),
        mail.error ?? "",
      ]),
      "The outbox is empty.",
    ));
  }

  page.append(card(
    "Mail outbox",
    h("p.hint", {}, "Every mail the backend wrote, newest first. Mail is held here when no SMTP server is configured."),
    rows,
  ));
  await load();
  context.every(10000, load);
}
