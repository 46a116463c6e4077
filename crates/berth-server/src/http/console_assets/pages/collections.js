// Collections of a backend (create, configure, drop) and the items of one (browse with a MonaQL
// filter, sort, page; create, edit as JSON, delete), through the Management API.
import { manage } from "../api.js";
import { card, code, formatTime, guarded, h, parseObject, say, table } from "../dom.js";

const PERMISSIONS = [["", "none"], ["r", "read"], ["w", "write"], ["rw", "read and write"]];

export async function list(page, context) {
  if (context.rest.length > 0) return items(page, context, context.rest[0]);
  const id = context.backend.id;
  const rows = h("div");
  const editor = h("div");

  const permissionSelect = (name, selected = "") => h(
    "select",
    { name },
    PERMISSIONS.map(([value, label]) => h("option", { value, selected: value === selected }, label)),
  );
  const configOf = (form) => ({
    isInsertable: form.elements.isInsertable.checked,
    defaultPublicPermission: form.elements.defaultPublicPermission.value,
    indexedProperties: form.elements.indexedProperties.value.split(",").map((p) => p.trim()).filter(Boolean),
  });
  const configFields = (collection = {}) => [
    h("label.check", {}, h("input", { type: "checkbox", name: "isInsertable", checked: collection.isInsertable ?? true }), "Apps may insert items"),
    h("label", {}, "Default public permission", permissionSelect("defaultPublicPermission", collection.defaultPublicPermission ?? "")),
    h("label.grow", {}, "Indexed properties (comma separated)", h("input", { name: "indexedProperties", value: (collection.indexedProperties ?? []).join(", ") })),
  ];

  const form = h(
    "form#collection-form.inline",
    {
      onsubmit: guarded(async () => {
        const name = form.elements.name.value.trim();
        await manage(id, "Collection.create", { _id: name, ...configOf(form) });
        form.reset();
        say(`Collection ${name} created.`);
        await load();
      }),
    },
    h("label", {}, "Name", h("input#collection-name", { name: "name", required: true, pattern: "[A-Za-z0-9_\\-]+", title: "Letters, digits, - and _" })),
    ...configFields(),
    h("button", { type: "submit" }, "Create collection"),
  );

  function configure(collection) {
    const configForm = h(
      "form.inline",
      {
        onsubmit: guarded(async () => {
          await manage(id, "Collection.setConfig", { _id: collection._id, ...configOf(configForm) });
          editor.replaceChildren();
          say(`Collection ${collection._id} configured.`);
          await load();
        }),
      },
      ...configFields(collection),
      h("button", { type: "submit" }, "Save"),
      h("button.secondary", { type: "button", onclick: () => editor.replaceChildren() }, "Cancel"),
    );
    editor.replaceChildren(card(`Configure ${collection._id}`, configForm));
  }

  async function load() {
    const { items: collections } = await manage(id, "Collection.list");
    rows.replaceChildren(table(
      ["Name", "Apps insert", "Public permission", "Indexed properties", ""],
      collections.map((collection) => [
        h("a.collection-link", { href: `#/b/${id}/collections/${encodeURIComponent(collection._id)}` }, collection._id),
        collection.isInsertable ? "yes" : "no",
        PERMISSIONS.find(([value]) => value === collection.defaultPublicPermission)?.[1] ?? collection.defaultPublicPermission,
        collection.indexedProperties.join(", "),
        h("span.actions", {},
          h("a.button.small", { href: `#/b/${id}/collections/${encodeURIComponent(collection._id)}` }, "Items"),
          h("button.small.secondary", { type: "button", onclick: () => configure(collection) }, "Configure"),
          h("button.small.danger", {
            type: "button",
            onclick: guarded(async () => {
              if (!confirm(`Drop ${collection._id} and every item in it?`)) return;
              await manage(id, "Collection.drop", { _id: collection._id });
              say(`Collection ${collection._id} dropped.`);
              await load();
            }),
          }, "Drop")),
      ]),
      "No collections yet.",
    ));
  }

  page.append(card("Create a collection", form), editor, card("Collections", rows));
  await load();
}

async function items(page, context, collectionName) {
  const id = context.backend.id;
  const state = { page: 1, perPage: 20 };
  const results = h("div");
  const pager = h("div.pager");
  const editor = h("div");

  const filter = h(
    "form#item-filter.inline",
    {
      onsubmit: guarded(async () => {
        state.page = 1;
        await load();
      }),
    },
    h("label.grow", {}, "Filter (MonaQL)", h("input#criteria", { name: "criteria", placeholder: 'score > ? && name == "Sean"' })),
    h("label", {}, "Bind values (JSON array)", h("input", { name: "bindParams", placeholder: "[1000]" })),
    h("label", {}, "Sort by", h("input.short", { name: "sortProperty", placeholder: "_createdAt" })),
    h("label", {}, "Order", h("select", { name: "sortOrder" }, h("option", { value: "asc" }, "ascending"), h("option", { value: "desc" }, "descending"))),
    h("button", { type: "submit" }, "Find"),
  );

  function query() {
    const params = {
      collectionName,
      page: state.page,
      itemsInPage: state.perPage,
      criteria: filter.elements.criteria.value.trim(),
      sortOrder: filter.elements.sortOrder.value,
    };
    const sort = filter.elements.sortProperty.value.trim();
    if (sort) params.sortProperty = sort;
    const binds = filter.elements.bindParams.value.trim();
    if (binds) {
      try {
        params.bindParams = JSON.parse(binds);
      } catch (error) {
        throw new Error(`The bind values are not valid JSON: ${error.message}`);
      }
    }
    return params;
  }

  function edit(item) {
    const data = Object.fromEntries(Object.entries(item ?? {}).filter(([name]) => !name.startsWith("_")));
    const json = h("textarea.json#item-json", { rows: 10, value: JSON.stringify(data, null, 2), "aria-label": "Item (JSON)" });
    const permission = h("textarea.json", { rows: 2, value: JSON.stringify(item?._permission ?? {}), "aria-label": "Permission (JSON)" });
    const form = h(
      "form#item-form.stacked",
      {
        onsubmit: guarded(async () => {
          const value = parseObject(json.value, "The item");
          const access = parseObject(permission.value, "The permission");
          if (item) {
            await manage(id, "CollectionItem.update", { collectionName, _id: item._id, item: value });
            await manage(id, "CollectionItem.setPermission", { collectionName, _id: item._id, permission: access });
            say("Item saved.");
          } else {
            const { item: created } = await manage(id, "CollectionItem.create", { collectionName, item: { ...value, _permission: access } });
            say(`Item ${created._id} created.`);
          }
          editor.replaceChildren();
          await load();
        }),
      },
      h("label", {}, item ? "Properties (saving merges them into the item)" : "Properties", json),
      h("label", {}, "Permission, e.g. {\"public\": \"r\"}", permission),
      h("div.buttons", {},
        h("button", { type: "submit" }, item ? "Save item" : "Insert item"),
        h("button.secondary", { type: "button", onclick: () => editor.replaceChildren() }, "Cancel")),
    );
    editor.replaceChildren(card(item ? `Edit item ${item._id}` : "New item", form));
    json.focus();
  }

  async function load() {
    const result = await manage(id, "CollectionItem.list", query());
    const total = result.totalItems ?? result.items.length;
    results.replaceChildren(table(
      ["Id", "Properties", "Updated", ""],
      result.items.map((item) => {
        const data = Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith("_")));
        return [
          code(item._id),
          h("code.preview", { title: JSON.stringify(data, null, 2) }, JSON.stringify(data)),
          formatTime(item._updatedAt),
          h("span.actions", {},
            h("button.small.secondary", { type: "button", onclick: () => edit(item) }, "Edit"),
            h("button.small.danger", {
              type: "button",
              onclick: guarded(async () => {
                if (!confirm(`Delete item ${item._id}?`)) return;
                await manage(id, "CollectionItem.delete", { collectionName, idList: [item._id] });
                say("Item deleted.");
                await load();
              }),
            }, "Delete")),
        ];
      }),
      filter.elements.criteria.value.trim() ? "No item matches the filter." : "No items yet.",
    ));
    const pages = Math.max(1, Math.ceil(total / state.perPage));
    pager.replaceChildren(
      h("span.count#item-count", {}, `${total} item${total === 1 ? "" : "s"}, page ${state.page} of ${pages}`),
      h("button.small.secondary", { type: "button", disabled: state.page <= 1, onclick: guarded(async () => { state.page -= 1; await load(); }) }, "‹ Previous"),
      h("button.small.secondary", { type: "button", disabled: state.page >= pages, onclick: guarded(async () => { state.page += 1; await load(); }) }, "Next ›"),
    );
  }

  page.append(
    h("h2.subtitle", {}, h("a", { href: `#/b/${id}/collections` }, "Collections"), " › ", collectionName),
    card(
      null,
      filter,
      h("div.toolbar", {}, h("button#new-item", { type: "button", onclick: () => edit(null) }, "New item"), pager),
      editor,
      results,
    ),
  );
  await load();
}
