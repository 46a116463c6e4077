// Users of a backend through the Management API: list and search, create, edit properties, set a
// new password, delete.
import { manage, tools } from "../api.js";
import { card, code, formatTime, guarded, h, parseObject, say, table } from "../dom.js";

export async function list(page, context) {
  const id = context.backend.id;
  const state = { page: 1, perPage: 20 };
  const rows = h("div");
  const pager = h("div.pager");
  const editor = h("div");

  const search = h(
    "form#user-search.inline",
    { onsubmit: guarded(async () => { state.page = 1; await load(); }) },
    h("label.grow", {}, "Username or id contains", h("input", { name: "nameFilter", type: "search" })),
    h("label.grow", {}, "Filter (MonaQL)", h("input", { name: "userQuery", placeholder: "age >= 18" })),
    h("button", { type: "submit" }, "Search"),
  );

  const create = h(
    "form#user-form.inline",
    {
      onsubmit: guarded(async () => {
        const properties = create.elements.properties.value.trim()
          ? parseObject(create.elements.properties.value, "The properties")
          : {};
        const { user } = await manage(id, "User.create", {
          username: create.elements.username.value.trim(),
          password: create.elements.password.value,
          properties,
        });
        create.reset();
        say(`User ${user._username} created.`);
        await load();
      }),
    },
    h("label", {}, "Username", h("input", { name: "username", required: true, autocomplete: "off" })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" })),
    h("label.grow", {}, "Properties (JSON)", h("input", { name: "properties", placeholder: '{"email": "joe@example.com"}' })),
    h("button", { type: "submit" }, "Create user"),
  );

  async function edit(user) {
    const path = `/mobilebackends/${id}/users/${encodeURIComponent(user._username)}/roles`;
    const [{ body: allRoles }, { body: userRoles }] = await Promise.all([
      tools("GET", `/mobilebackends/${id}/roles`),
      tools("GET", path),
    ]);
    const roleBoxes = allRoles.items.map((role) => h("label.check", {},
      h("input", { type: "checkbox", name: "role", value: role.name, checked: userRoles.includes(role.name) }), role.name));
    const properties = Object.fromEntries(Object.entries(user).filter(([name]) => !name.startsWith("_")));
    const json = h("textarea.json", { rows: 8, value: JSON.stringify(properties, null, 2), "aria-label": "Properties (JSON)" });
    const form = h(
      "form.stacked",
      {
        onsubmit: guarded(async () => {
          const changes = parseObject(json.value, "The properties");
          const username = form.elements.username.value.trim();
          if (username && username !== user._username) changes._username = username;
          if (form.elements.password.value) changes._password = form.elements.password.value;
          await manage(id, "User.update", { _id: user._id, user: changes });
          const chosen = roleBoxes.map((box) => box.querySelector("input")).filter((input) => input.checked).map((input) => input.value);
          if (roleBoxes.length > 0) {
            await tools("PUT", `/mobilebackends/${id}/users/${encodeURIComponent(username || user._username)}/roles`, chosen);
          }
          editor.replaceChildren();
          say(`User ${username || user._username} saved.`);
          await load();
        }),
      },
      h("label", {}, "Username", h("input", { name: "username", value: user._username })),
      h("label", {}, "Properties (saving merges them into the user)", json),
      h("label", {}, "New password (leave empty to keep it)", h("input", { name: "password", type: "password", autocomplete: "new-password" })),
      roleBoxes.length > 0 ? h("fieldset.roles", {}, h("legend", {}, "Roles"), ...roleBoxes) : null,
      h("div.buttons", {},
        h("button", { type: "submit" }, "Save user"),
        h("button.secondary", { type: "button", onclick: () => editor.replaceChildren() }, "Cancel")),
    );
    editor.replaceChildren(card(`Edit ${user._username}`, form));
  }

  async function load() {
    const params = {
      page: state.page,
      itemsInPage: state.perPage,
      sortProperty: "_username",
      nameFilter: search.elements.nameFilter.value.trim(),
      userQuery: search.elements.userQuery.value.trim(),
    };
    const result = await manage(id, "User.list", params);
    const total = result.totalItems ?? result.items.length;
    rows.replaceChildren(table(
      ["Username", "Id", "Properties", "Created", ""],
      result.items.map((user) => {
        const properties = Object.fromEntries(Object.entries(user).filter(([name]) => !name.startsWith("_")));
        return [
          user._username,
          code(user._id),
          h("code.preview", {}, JSON.stringify(properties)),
          formatTime(user._createdAt),
          h("span.actions", {},
            h("button.small.secondary", { type: "button", onclick: guarded(() => edit(user)) }, "Edit"),
            h("button.small.danger", {
              type: "button",
              onclick: guarded(async () => {
                if (!confirm(`Delete the user ${user._username}?`)) return;
                await manage(id, "User.delete", { idList: [user._id] });
                say(`User ${user._username} deleted.`);
                await load();
              }),
            }, "Delete")),
        ];
      }),
      "No users match.",
    ));
    const pages = Math.max(1, Math.ceil(total / state.perPage));
    pager.replaceChildren(
      h("span.count", {}, `${total} user${total === 1 ? "" : "s"}, page ${state.page} of ${pages}`),
      h("button.small.secondary", { type: "button", disabled: state.page <= 1, onclick: guarded(async () => { state.page -= 1; await load(); }) }, "‹ Previous"),
      h("button.small.secondary", { type: "button", disabled: state.page >= pages, onclick: guarded(async () => { state.page += 1; await load(); }) }, "Next ›"),
    );
  }

  page.append(card("Create a user", create), editor, card("Users", search, pager, rows));
  await load();
}
