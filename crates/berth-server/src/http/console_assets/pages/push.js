// Push notifications of a backend through the Management API: provider settings (Push.setConfig),
// composing and sending (Push.send), and the latest sends with their delivery counts, polled live
// from the console's own endpoint (whatever sent them). On a server without push (Method not found)
// the page says so instead.
import { consoleApi, manage } from "../api.js";
import { card, code, formatTime, guarded, h, parseObject, say, table } from "../dom.js";

const METHOD_NOT_FOUND = -32601;

async function pushConfig(backendId) {
  try {
    const { config } = await manage(backendId, "Push.getConfig");
    return { available: true, config };
  } catch (error) {
    if (error.code === METHOD_NOT_FOUND) return { available: false, config: null };
    throw error;
  }
}

function unavailable(page, what) {
  page.append(card(what, h("p", {}, "This Berth server does not deliver push notifications yet.")));
}

export async function devices(page, context) {
  const id = context.backend.id;
  const { available, config } = await pushConfig(id);
  if (!available) return unavailable(page, "Devices");
  const state = { page: 1, perPage: 25 };
  const rows = h("div");
  const pager = h("div.pager");
  const search = h(
    "form#device-search.inline",
    { onsubmit: guarded(async () => { state.page = 1; await load(); }) },
    h("label.grow", {}, "Device id, user id or token contains", h("input", { name: "q", type: "search" })),
    h("button", { type: "submit" }, "Search"),
  );

  async function load() {
    const query = new URLSearchParams({
      limit: state.perPage,
      offset: (state.page - 1) * state.perPage,
      q: search.elements.q.value.trim(),
    });
    const result = await consoleApi(`/backends/${id}/devices?${query}`);
    rows.replaceChildren(table(
      ["Device id", "User", "Platform", "Token", "App", "Registered", "Updated", "State"],
      result.items.map((device) => [
        device.deviceId ? code(device.deviceId) : "—",
        device.userId ? code(device.userId) : "—",
        `${device.platform} (${device.provider}${device.gateway ? `, ${device.gateway}` : ""}${device.buildType ? `, ${device.buildType}` : ""})`,
        h("code.token", { title: device.token }, device.token.length > 24 ? `${device.token.slice(0, 24)}…` : device.token),
        device.appId ? `${device.appId} ${device.appVersion ?? ""}` : "—",
        formatTime(device.registeredOn),
        formatTime(device.updatedOn),
        device.invalid ? h("span.badge.danger", { title: "The provider said this token is dead; sends skip it until the app registers again." }, "invalid") : h("span.badge.ok", {}, "active"),
      ]),
      "No device has registered for push yet.",
    ));
    const pages = Math.max(1, Math.ceil(result.total / state.perPage));
    pager.replaceChildren(
      h("span.count", {}, `${result.total} device${result.total === 1 ? "" : "s"}, page ${state.page} of ${pages}`),
      h("button.small.secondary", { type: "button", disabled: state.page <= 1, onclick: guarded(async () => { state.page -= 1; await load(); }) }, "‹ Previous"),
      h("button.small.secondary", { type: "button", disabled: !result.hasMore, onclick: guarded(async () => { state.page += 1; await load(); }) }, "Next ›"),
    );
  }

  page.append(
    card("Devices", search, pager, rows),
    card(
      "Registering",
      h("p", {}, "Apps register their devices for push at ",
        code(`${location.origin}/v1/push/register/${config?.pushProjectId ?? "<push project id>"}`),
        " (the Monaca runtime does it by itself once the app's push project id is set), or through the Oracle API at ",
        code("/mobile/platform/devices/register"), "."),
      config ? null : h("p.hint", {}, "Configure a push provider on the Push tab first: it issues the push project id."),
    ),
  );
  await load();
}

export async function compose(page, context) {
  const id = context.backend.id;
  let { available, config } = await pushConfig(id);
  if (!available) return unavailable(page, "Push notifications");

  const settingsCard = h("div");
  const composeCard = h("div");
  const sent = h("div");
  const chart = h("div.delivery-chart");

  function showSettings() {
    const summary = config
      ? h("dl", {},
        h("dt", {}, "Push project id"), h("dd", {}, code(config.pushProjectId)),
        h("dt", {}, "APNs (iOS)"), h("dd", {}, config.apns ? `${config.apns.topic} — key ${config.apns.keyId}, team ${config.apns.teamId}, ${config.apns.environment}` : "not configured"),
        h("dt", {}, "FCM (Android)"), h("dd", {}, config.fcm ? "service account configured" : "not configured"))
      : h("p.hint", {}, "No provider yet. Give an FCM service account, APNs token-signing key, or both.");
    const form = h(
      "form#push-config-form.stacked",
      {
        onsubmit: guarded(async () => {
          const params = {};
          const account = form.elements.serviceAccount.value.trim();
          if (account) params.fcm = { serviceAccount: account };
          const apnsKey = form.elements.signingKey.value.trim();
          if (apnsKey) {
            params.apns = {
              keyId: form.elements.keyId.value.trim(),
              teamId: form.elements.teamId.value.trim(),
              topic: form.elements.topic.value.trim(),
              environment: form.elements.environment.value,
              signingKey: apnsKey,
            };
          }
          if (!params.fcm && !params.apns) throw new Error("Give an FCM service account or an APNs key.");
          ({ config } = await manage(id, "Push.setConfig", params));
          say("Push settings saved; the credentials are stored sealed and never shown again.");
          showSettings();
          showCompose();
        }),
      },
      h("label", {}, "FCM service account key file (JSON)", h("textarea.json#service-account", { name: "serviceAccount", rows: 4, placeholder: '{"type": "service_account", …}' })),
      h("div.inline-fields", {},
        h("label", {}, "APNs key id", h("input", { name: "keyId" })),
        h("label", {}, "Team id", h("input", { name: "teamId" })),
        h("label", {}, "Bundle id (topic)", h("input", { name: "topic" })),
        h("label", {}, "Gateway", h("select", { name: "environment" }, h("option", { value: "production" }, "production"), h("option", { value: "sandbox" }, "sandbox")))),
      h("label", {}, "APNs token-signing key (.p8)", h("textarea.json", { name: "signingKey", rows: 3, placeholder: "-----BEGIN PRIVATE KEY-----" })),
      h("div.buttons", {}, h("button", { type: "submit" }, "Save push settings")),
    );
    settingsCard.replaceChildren(card("Push settings", summary, h("details", { open: !config }, h("summary", {}, config ? "Change the providers" : "Configure"), form)));
  }

  function showCompose() {
    if (!config) {
      composeCard.replaceChildren();
      return;
    }
    const form = h(
      "form#push-form.stacked",
      {
        onsubmit: guarded(async () => {
          const params = {
            pushProjectId: config.pushProjectId,
            platform: form.elements.platform.value,
            title: form.elements.title.value || undefined,
            message: form.elements.message.value,
          };
          if (form.elements.badge.value) params.badge = Number(form.elements.badge.value);
          if (form.elements.extra.value.trim()) params.extra_json = parseObject(form.elements.extra.value, "The custom data");
          const list = form.elements.targetValue.value.split(",").map((value) => value.trim()).filter(Boolean);
          switch (form.elements.target.value) {
            case "devices": params.deviceIdList = list; break;
            case "users": params.userOidList = list; break;
            case "query": params.userQuery = form.elements.targetValue.value.trim(); break;
            default: break;
          }
          const { queueIdList } = await manage(id, "Push.send", params);
          say(`Notification queued (${queueIdList.join(", ")}).`);
          await refresh();
        }),
      },
      h("div.inline-fields", {},
        h("label", {}, "Platform", h("select", { name: "platform" }, h("option", { value: "android" }, "Android (FCM)"), h("option", { value: "ios" }, "iOS (APNs)"))),
        h("label", {}, "Send to", h("select", { name: "target" },
          h("option", { value: "all" }, "every device"),
          h("option", { value: "devices" }, "device ids"),
          h("option", { value: "users" }, "user ids"),
          h("option", { value: "query" }, "users matching MonaQL"))),
        h("label.grow", {}, "Ids (comma separated) or MonaQL", h("input", { name: "targetValue" }))),
      h("label", {}, "Title", h("input", { name: "title" })),
      h("label", {}, "Message", h("textarea#push-message", { name: "message", rows: 2, required: true })),
      h("div.inline-fields", {},
        h("label", {}, "Badge (iOS)", h("input.short", { name: "badge", type: "number", min: 0 })),
        h("label.grow", {}, "Custom data (JSON object)", h("input", { name: "extra", placeholder: '{"screen": "news"}' }))),
      h("div.buttons", {}, h("button", { type: "submit" }, "Send notification")),
    );
    composeCard.replaceChildren(card("Compose", form));
  }

  async function refresh() {
    if (!config) {
      sent.replaceChildren(h("p.empty", {}, "Nothing sent yet."));
      chart.replaceChildren();
      return;
    }
    const { items } = await consoleApi(`/backends/${id}/notifications?limit=20`);
    sent.replaceChildren(table(
      ["Id", "Created", "Platform", "Message", "State", "Targets", "Delivered", "Failed", "Waiting"],
      items.map((notification) => [
        code(notification.id),
        formatTime(notification.createdOn),
        notification.platform ?? "all",
        notification.message ?? notification.title ?? "",
        h(`span.badge.${STATE_BADGES[notification.state] ?? "wait"}`, { dataset: { state: notification.state }, title: notification.error ?? "" }, notification.state),
        String(notification.total),
        h("span.pushed-count", {}, String(notification.sent)),
        String(notification.failed + notification.invalid),
        String(notification.queued),
      ]),
      "Nothing sent yet.",
    ));
    drawDelivery(chart, items.slice(0, 12));
  }

  page.append(settingsCard, composeCard, card("Latest notifications", chart, sent,
    h("p.hint", {}, "Every send of this backend, newest first, from the console, the apps' APIs or scripts; the counts update every two seconds.")));
  showSettings();
  showCompose();
  await refresh();
  context.every(2000, refresh);
}

const STATE_BADGES = { sent: "ok", warning: "warn", error: "danger", cancelled: "danger" };

/** One bar per send: delivered (green), failed (red), still waiting (grey). */
function drawDelivery(container, notifications) {
  container.replaceChildren(...notifications.map((notification) => {
    const failed = notification.failed + notification.invalid;
    const total = Math.max(notification.total, notification.sent + failed + notification.queued, 1);
    const part = (count, kind) => {
      const bar = h(`span.part.${kind}`, { title: `${count} ${kind}` });
      bar.style.width = `${(100 * count) / total}%`;
      return bar;
    };
    return h("div.delivery", {},
      h("span.label", {}, `#${notification.id}`),
      h("span.bar", {}, part(notification.sent, "delivered"), part(failed, "failed"), part(notification.queued, "pending")),
      h("span.numbers", {}, `${notification.sent} / ${notification.total}`));
  }));
}
