// One backend: overview (counts, endpoints, edit, trash), keys, and settings.
import { consoleApi, manage, tools } from "../api.js";
import { card, code, formatTime, guarded, h, parseObject, say, secret, table } from "../dom.js";

export async function overview(page, context) {
  const { backend } = context;
  let etag = context.etag;
  const counts = await consoleApi(`/backends/${backend.id}/counts`).catch(() => null);
  const tile = (label, value, href) =>
    h("a.tile", { href: href ? `#/b/${backend.id}/${href}` : undefined }, h("b", {}, String(value ?? "?")), h("span", {}, label));

  const form = h(
    "form#edit-form.stacked",
    {
      onsubmit: guarded(async () => {
        const body = {
          name: form.elements.name.value.trim(),
          version: form.elements.version.value.trim(),
          desc: form.elements.desc.value.trim() || null,
          inactive: form.elements.inactive.checked,
          oauth: form.elements.oauth.checked,
          basic: form.elements.basic.checked,
        };
        const answer = await tools("PUT", `/mobilebackends/${backend.id}`, body, etag ? { "If-Match": etag } : {});
        etag = answer.etag;
        say("Saved.");
        context.refresh();
      }),
    },
    h("label", {}, "Name", h("input", { name: "name", value: backend.name, required: true })),
    h("label", {}, "Version", h("input", { name: "version", value: backend.version, required: true })),
    h("label", {}, "Description", h("textarea", { name: "desc", rows: 2, value: backend.desc ?? "" })),
    h("label.check", {}, h("input", { type: "checkbox", name: "oauth", checked: backend.oauth }), "OAuth (client credentials, tokens)"),
    h("label.check", {}, h("input", { type: "checkbox", name: "basic", checked: backend.basicAuth }), "HTTP Basic authentication"),
    h("label.check", {}, h("input", { type: "checkbox", name: "inactive", checked: backend.inactive }), "Inactive (refuses app calls, keeps the data)"),
    h("div.buttons", {}, h("button", { type: "submit" }, "Save changes")),
  );

  const trashButton = backend.inTrash
    ? h("button", {
      type: "button",
      onclick: guarded(async () => {
        await tools("POST", "/assets/untrashing", { ids: [backend.id] }, { "If-Match": "*" });
        say(`${backend.name} is restored.`);
        context.refresh();
      }),
    }, "Restore from the trash")
    : h("button.danger", {
      type: "button",
      onclick: guarded(async () => {
        if (!confirm(`Move ${backend.name} to the trash? Its apps are refused until you restore it.`)) return;
        await tools("POST", "/assets/trashing", { ids: [backend.id] }, { "If-Match": "*" });
        say(`${backend.name} is in the trash.`);
        context.refresh();
      }),
    }, "Move to the trash");

  page.append(
    h("div.tiles", {},
      tile("users", counts?.users, "users"),
      tile("collections", counts?.collections, "collections"),
      tile("items", counts?.items, "collections"),
      tile("mails", counts?.mails, "mail"),
      tile("analytics events", counts?.analyticsEvents, "analytics")),
    h("div.columns", {},
      card("Details", form),
      card(
        "Endpoints",
        h("dl", {},
          h("dt", {}, "Backend id"), h("dd", {}, code(backend.id)),
          h("dt", {}, "Monaca app endpoint"), h("dd", {}, code(location.origin + backend.monacaEndpoint)),
          h("dt", {}, "Management API"), h("dd", {}, code(`${location.origin}/manage/json-rpc/${backend.id}`)),
          h("dt", {}, "Oracle client id"), h("dd", {}, code(backend.clientId)),
          h("dt", {}, "Basic-auth backend id"), h("dd", {}, code(backend.basicAuthBackendId)),
          h("dt", {}, "Created"), h("dd", {}, `${formatTime(backend.createdOn)} by ${backend.createdBy}`),
          h("dt", {}, "Modified"), h("dd", {}, `${formatTime(backend.modifiedOn)} by ${backend.modifiedBy}`)),
        h("div.buttons", {}, trashButton),
      )),
  );
}

export async function keys(page, context) {
  const { backend } = context;
  const id = backend.id;
  const shown = h("div");
  // Each regeneration needs the backend's current ETag; read it fresh so two tabs do not collide.
  const currentEtag = async () => (await tools("GET", `/mobilebackends/${id}`)).etag;
  const regenerate = (label, path, show) => h("button.small.secondary", {
    type: "button",
    onclick: guarded(async () => {
      if (!confirm(`Issue a new ${label}? The old one stops working at once.`)) return;
      const { body } = await tools("POST", `/mobilebackends/${id}/${path}`, undefined, { "If-Match": await currentEtag() });
      shown.replaceChildren(h("div.notice", {}, show(body)));
      say(`New ${label} issued.`);
      await loadManagementKeys();
    }),
  }, "Regenerate");

  const managementKeys = h("div");
  const keyForm = h(
    "form#key-form.inline",
    {
      onsubmit: guarded(async () => {
        const body = {
          label: keyForm.elements.label.value.trim() || undefined,
          allowedIpRange: keyForm.elements.range.value.trim() || undefined,
        };
        const { body: key } = await tools("POST", `/mobilebackends/${id}/managementKeys`, body);
        keyForm.reset();
        shown.replaceChildren(h("div.notice", {}, h("p", {}, "Copy the key now: Berth keeps only its digest."), secret("Management API key", key.key)));
        say("Management key created.");
        await loadManagementKeys();
      }),
    },
    h("label", {}, "Label", h("input", { name: "label", placeholder: "deploy" })),
    h("label", {}, "Allowed addresses (CIDR)", h("input", { name: "range", placeholder: "any" })),
    h("button", { type: "submit" }, "Create key"),
  );

  async function loadManagementKeys() {
    const { body: list } = await tools("GET", `/mobilebackends/${id}/managementKeys`);
    managementKeys.replaceChildren(table(
      ["Prefix", "Label", "Allowed addresses", "Created", ""],
      list.items.map((key) => [
        code(key.prefix + "…"),
        key.label ?? "",
        key.allowedIpRange ?? "any",
        formatTime(key.createdOn),
        h("button.small.danger", {
          type: "button",
          onclick: guarded(async () => {
            if (!confirm(`Revoke the key ${key.prefix}…? Scripts using it stop working.`)) return;
            await tools("DELETE", `/mobilebackends/${id}/managementKeys/${key.id}`);
            say("Key revoked.");
            await loadManagementKeys();
          }),
        }, "Revoke"),
      ]),
      "No management keys: create one to use the Management API from scripts.",
    ));
  }

  const { body: oauth } = await tools("GET", `/mobilebackends/${id}/oauthKeys`);
  const { body: basic } = await tools("GET", `/mobilebackends/${id}/basicAuthenticationKeys`);
  page.append(
    shown,
    card(
      "App keys",
      table(["Key", "Value", ""], [
        ["Oracle OAuth client id", code(oauth.clientId), ""],
        ["Oracle OAuth client secret", h("span.masked", {}, code(oauth.clientSecret)),
          regenerate("OAuth client secret", "oauthKeys", (body) => secret("OAuth client secret", body.clientSecret))],
        ["Basic-auth backend id", code(basic.basicAuthBackendId), ""],
        ["Anonymous key", h("span.masked", {}, code(basic.anonymousKey)),
          regenerate("anonymous key", "basicAuthenticationKeys", (body) => secret("Anonymous key", body.anonymousKey))],
        ["Monaca app API key", h("span.hint", {}, "shown only when issued"),
          regenerate("Monaca app API key", "monacaApiKey", (body) => [
            h("p", {}, "Copy the key now: Berth keeps only its digest."), secret("Monaca app API key", body.monacaApiKey)])],
      ]),
      h("p.hint", {}, "Regenerating the OAuth client secret also ends every access token issued with the old one."),
    ),
    card("Management API keys", keyForm, managementKeys),
  );
  await loadManagementKeys();
}

export async function settings(page, context) {
  const id = context.backend.id;
  const { settings: current } = await manage(id, "Backend.getSettings");
  const fields = Object.entries(current).map(([name, value]) => {
    const input = typeof value === "boolean"
      ? h("input", { type: "checkbox", name, checked: value })
      : Array.isArray(value)
        // Lists (allowedOrigins) are edited as comma-separated text.
        ? h("input", { type: "text", name, value: value.join(", "), placeholder: "comma-separated; empty for any" })
        : h("input", { type: typeof value === "number" ? "number" : "text", name, value: String(value) });
    return h(typeof value === "boolean" ? "label.check" : "label", {}, ...(typeof value === "boolean" ? [input, name] : [name, input]));
  });
  const form = h(
    "form#settings-form.grid",
    {
      onsubmit: guarded(async () => {
        const changes = {};
        for (const [name, value] of Object.entries(current)) {
          const input = form.elements[name];
          changes[name] = typeof value === "boolean" ? input.checked
            : typeof value === "number" ? Number(input.value)
            : Array.isArray(value) ? input.value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
            : input.value;
        }
        await manage(id, "Backend.setSettings", { settings: changes });
        say("Settings saved.");
      }),
    },
    ...fields,
    h("div.buttons", {}, h("button", { type: "submit" }, "Save settings")),
  );

  const { body: appConfig } = await tools("GET", `/mobilebackends/${id}/appconfig`);
  const policies = h("textarea.json", { rows: 8, value: JSON.stringify(appConfig, null, 2), "aria-label": "App policies (JSON)" });
  const policyForm = h(
    "form.stacked",
    {
      onsubmit: guarded(async () => {
        await tools("PUT", `/mobilebackends/${id}/appconfig`, parseObject(policies.value, "App policies"));
        say("App policies saved.");
      }),
    },
    policies,
    h("div.buttons", {}, h("button", { type: "submit" }, "Save app policies")),
  );

  const templates = h("div");
  async function loadTemplates() {
    const { items } = await manage(id, "Mailer.listTemplates");
    templates.replaceChildren(table(["Name", "Subject", ""], items.map((template) => [
      template.name,
      template.subject,
      h("button.small.danger", {
        type: "button",
        onclick: guarded(async () => {
          await manage(id, "Mailer.deleteTemplate", { name: template.name });
          await loadTemplates();
        }),
      }, "Delete"),
    ]), "No templates: the built-in texts are used."));
  }
  const templateForm = h(
    "form.stacked",
    {
      onsubmit: guarded(async () => {
        await manage(id, "Mailer.setTemplate", {
          name: templateForm.elements.name.value.trim(),
          subject: templateForm.elements.subject.value,
          body: templateForm.elements.body.value,
        });
        templateForm.reset();
        say("Template saved.");
        await loadTemplates();
      }),
    },
    h("label", {}, "Name", h("input", { name: "name", required: true, placeholder: "reset_password" })),
    h("label", {}, "Subject", h("input", { name: "subject", required: true })),
    h("label", {}, "Body", h("textarea", { name: "body", rows: 4, required: true })),
    h("div.buttons", {}, h("button", { type: "submit" }, "Save template")),
  );

  const roles = h("div");
  async function loadRoles() {
    const { body: list } = await tools("GET", `/mobilebackends/${id}/roles`);
    roles.replaceChildren(table(["Role", ""], list.items.map((role) => [
      role.name,
      h("button.small.danger", {
        type: "button",
        onclick: guarded(async () => {
          if (!confirm(`Delete the role ${role.name}? Users lose it.`)) return;
          await tools("DELETE", `/mobilebackends/${id}/roles/${encodeURIComponent(role.name)}`);
          say(`Role ${role.name} deleted.`);
          await loadRoles();
        }),
      }, "Delete"),
    ]), "No roles yet."));
  }
  const roleForm = h(
    "form#role-form.inline",
    {
      onsubmit: guarded(async () => {
        const name = roleForm.elements.name.value.trim();
        await tools("POST", `/mobilebackends/${id}/roles`, { name });
        roleForm.reset();
        say(`Role ${name} created.`);
        await loadRoles();
      }),
    },
    h("label", {}, "Role name", h("input", { name: "name", required: true })),
    h("button", { type: "submit" }, "Create role"),
  );

  page.append(
    card("App settings (Monaca)", h("p.hint", {}, "Registration, login and session rules of this backend's apps."), form),
    card("Roles (Oracle)", h("p.hint", {}, "Roles a backend's users can hold; give them to users on the Users page."), roleForm, roles),
    card("App policies (Oracle)", h("p.hint", {}, "What GET /mobile/platform/appconfig/client answers the apps: one JSON object."), policyForm),
    card("Mail templates", templates, templateForm),
  );
  await Promise.all([loadTemplates(), loadRoles()]);
}
