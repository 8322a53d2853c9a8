// The audience rule builder: edits the rule's JSON tree with ordinary form controls (selects, inputs, buttons,
// so it works with the keyboard and screen readers) and writes the JSON into the form's "rules" field on every
// change. Registered with Alpine.data because the CSP build of Alpine evaluates no inline code; the tree is
// rendered with DOM calls (no innerHTML, no inline handlers), since a recursive tree is beyond x-for templates.
// Without JavaScript the page shows the JSON field itself.
(function () {
  "use strict";

  var LEAF_KINDS = ["org_unit", "job_role", "location", "hire_date", "attribute", "audience"];
  var counter = 0;

  function uid(prefix) {
    counter += 1;
    return "rb-" + prefix + "-" + counter;
  }

  function fmt(template, n) {
    return template.replace("%(n)s", n);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === false || value === null || value === undefined) {
        return;
      }
      if (key === "text") {
        node.textContent = value;
      } else if (key === "className") {
        node.className = value;
      } else if (value === true) {
        node.setAttribute(key, "");
      } else {
        node.setAttribute(key, value);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(child);
      }
    });
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", { value: String(value), text: label });
    node.selected = Boolean(selected);
    return node;
  }

  // A labelled control: <span class="rb-control"><label class="visually-hidden">…</label>control</span>.
  function labelled(control, labelText, visible) {
    var id = control.id || uid("c");
    control.id = id;
    var label = el("label", { for: id, text: labelText, className: visible ? "rb-label" : "visually-hidden" });
    return el("span", { className: "rb-control" }, [label, control]);
  }

  // --- the tree as the builder sees it: groups and conditions, each with its own "not" ------------------------

  function toUi(node, negate) {
    if (node && typeof node === "object" && node.not !== undefined) {
      return toUi(node.not, !negate);
    }
    if (node && typeof node === "object" && (Array.isArray(node.all) || Array.isArray(node.any))) {
      var op = Array.isArray(node.all) ? "all" : "any";
      return { type: "group", op: op, negate: negate, children: node[op].map(function (child) { return toUi(child, false); }) };
    }
    var kind = LEAF_KINDS.filter(function (k) { return node && typeof node === "object" && node[k] !== undefined; })[0];
    return { type: "condition", negate: negate, kind: kind || "org_unit", leaf: kind ? JSON.parse(JSON.stringify(node)) : { org_unit: null, include_sub_units: true } };
  }

  function fromUi(ui) {
    var node;
    if (ui.type === "group") {
      node = {};
      node[ui.op] = ui.children.map(fromUi);
    } else {
      node = ui.leaf;
    }
    return ui.negate ? { not: node } : node;
  }

  function emptyLeaf(kind, options) {
    switch (kind) {
      case "org_unit": return { org_unit: null, include_sub_units: true };
      case "job_role": return { job_role: [] };
      case "location": return { location: [] };
      case "hire_date": return { hire_date: { within_days: 30 } };
      case "attribute":
        var first = options.attributes[0];
        return { attribute: { key: first ? first.key : "", op: "eq", value: "" } };
      default: return { audience: null };
    }
  }

  function parseNumberOrText(text, type) {
    if (type === "number") {
      var number = Number(text);
      return text.trim() === "" || isNaN(number) ? text : number;
    }
    return text;
  }

  // --- the builder ---------------------------------------------------------------------------------------

  function Builder(root, field, options) {
    this.root = root;
    this.field = field;
    this.options = options;
    this.text = options.text;
    var parsed;
    try {
      parsed = JSON.parse(field.value || "{}");
    } catch (error) {
      parsed = { all: [] };
    }
    var ui = toUi(parsed, false);
    if (ui.type !== "group") {
      ui = { type: "group", op: "all", negate: false, children: [ui] };
    }
    this.tree = ui;
  }

  Builder.prototype.sync = function () {
    this.field.value = JSON.stringify(fromUi(this.tree));
  };

  // Re-render the whole tree (after a structural change), then put the focus where the person expects it.
  Builder.prototype.render = function (focusKey) {
    this.sync();
    while (this.root.firstChild) {
      this.root.removeChild(this.root.firstChild);
    }
    this.focusTargets = {};
    this.root.appendChild(this.renderGroup(this.tree, null, [], "0"));
    var target = focusKey && this.focusTargets[focusKey];
    if (target) {
      target.focus();
    }
  };

  Builder.prototype.renderGroup = function (group, parent, path, key) {
    var self = this;
    var t = this.text;
    var isRoot = parent === null;
    var name = isRoot ? t.rootLegend : fmt(t.groupLegend, path.join("."));
    var fieldset = el("fieldset", { className: "rb-group" + (group.negate ? " rb-negated" : "") });
    fieldset.appendChild(el("legend", { text: name }));

    var opSelect = el("select", { id: uid("op") }, [
      option("all", t.matchAll, group.op === "all"),
      option("any", t.matchAny, group.op === "any"),
    ]);
    opSelect.addEventListener("change", function () {
      group.op = opSelect.value;
      self.render("op-" + key);
    });
    this.focusTargets["op-" + key] = opSelect;
    var negate = el("input", { type: "checkbox", id: uid("not") });
    negate.checked = group.negate;
    negate.addEventListener("change", function () {
      group.negate = negate.checked;
      self.render("not-" + key);
    });
    this.focusTargets["not-" + key] = negate;
    fieldset.appendChild(el("div", { className: "rb-row" }, [
      labelled(opSelect, t.match + " (" + name + ")", false),
      el("span", { className: "checkbox rb-not" }, [negate, el("label", { for: negate.id, text: t.exclude })]),
    ]));

    var list = el("ol", { className: "rb-children" });
    group.children.forEach(function (child, index) {
      var childPath = path.concat([index + 1]);
      var childKey = key + "." + index;
      var item = child.type === "group"
        ? self.renderGroup(child, group, childPath, childKey)
        : self.renderCondition(child, group, childPath, childKey);
      list.appendChild(el("li", {}, [item]));
    });
    if (group.children.length) {
      fieldset.appendChild(list);
    } else {
      fieldset.appendChild(el("p", { className: "muted", text: group.op === "any" ? t.emptyAny : t.empty }));
    }

    var addCondition = el("button", { type: "button", className: "button-secondary", text: t.addCondition });
    addCondition.addEventListener("click", function () {
      group.children.push({ type: "condition", negate: false, kind: "org_unit", leaf: emptyLeaf("org_unit", self.options) });
      self.render("kind-" + key + "." + (group.children.length - 1));
    });
    this.focusTargets["add-" + key] = addCondition;
    var addGroup = el("button", { type: "button", className: "button-secondary", text: t.addGroup });
    addGroup.addEventListener("click", function () {
      group.children.push({ type: "group", op: "any", negate: false, children: [] });
      self.render("op-" + key + "." + (group.children.length - 1));
    });
    var actions = el("div", { className: "actions rb-actions" }, [addCondition, addGroup]);
    if (!isRoot) {
      var remove = el("button", { type: "button", className: "button-secondary", text: t.removeGroup });
      remove.appendChild(el("span", { className: "visually-hidden", text: " " + name }));
      remove.addEventListener("click", function () {
        parent.children.splice(parent.children.indexOf(group), 1);
        self.render("add-" + key.split(".").slice(0, -1).join("."));
      });
      actions.appendChild(remove);
    }
    fieldset.appendChild(actions);
    return fieldset;
  };

  Builder.prototype.renderCondition = function (condition, parent, path, key) {
    var self = this;
    var t = this.text;
    var name = fmt(t.conditionLabel, path.join("."));
    var box = el("div", { className: "rb-condition", role: "group", "aria-label": name });

    var kind = el("select", { id: uid("kind") }, LEAF_KINDS.map(function (k) {
      return option(k, t["kind_" + k], condition.kind === k);
    }));
    kind.addEventListener("change", function () {
      condition.kind = kind.value;
      condition.leaf = emptyLeaf(kind.value, self.options);
      self.render("kind-" + key);
    });
    this.focusTargets["kind-" + key] = kind;
    var negate = el("select", { id: uid("neg") }, [
      option("is", t.is, !condition.negate),
      option("not", t.isNot, condition.negate),
    ]);
    negate.addEventListener("change", function () {
      condition.negate = negate.value === "not";
      self.sync();
    });
    var remove = el("button", { type: "button", className: "button-secondary rb-remove", text: t.remove });
    remove.appendChild(el("span", { className: "visually-hidden", text: " " + name }));
    remove.addEventListener("click", function () {
      parent.children.splice(parent.children.indexOf(condition), 1);
      self.render("add-" + key.split(".").slice(0, -1).join("."));
    });

    box.appendChild(el("div", { className: "rb-row" }, [
      labelled(kind, name + ": " + t.type, false),
      labelled(negate, name + ": " + t.negation, false),
    ]));
    var fields = el("div", { className: "rb-row rb-fields" });
    this["render_" + condition.kind](condition.leaf, fields, name);
    box.appendChild(fields);
    box.appendChild(el("div", { className: "rb-row" }, [remove]));
    return box;
  };

  Builder.prototype.change = function (control, update) {
    var self = this;
    control.addEventListener("change", function () {
      update();
      self.sync();
    });
  };

  Builder.prototype.render_org_unit = function (leaf, fields, name) {
    var t = this.text;
    var select = el("select", { id: uid("unit") }, [option("", t.choose, leaf.org_unit === null)].concat(
      this.options.units.map(function (unit) {
        // Indented with no-break spaces, which screen readers skip (a dash would be read out at every level).
        return option(unit.id, "\u00a0\u00a0\u00a0".repeat(unit.depth) + unit.name, leaf.org_unit === unit.id);
      })
    ));
    this.change(select, function () { leaf.org_unit = select.value ? Number(select.value) : null; });
    var sub = el("input", { type: "checkbox", id: uid("sub") });
    sub.checked = leaf.include_sub_units !== false;
    this.change(sub, function () { leaf.include_sub_units = sub.checked; });
    fields.appendChild(labelled(select, name + ": " + t.kind_org_unit, false));
    fields.appendChild(el("span", { className: "checkbox" }, [sub, el("label", { for: sub.id, text: t.includeSubUnits })]));
  };

  Builder.prototype.renderMulti = function (leaf, fields, name, kindKey, items) {
    var t = this.text;
    var chosen = Array.isArray(leaf[kindKey]) ? leaf[kindKey] : [];
    var hint = el("span", { id: uid("hint"), className: "help", text: t.selectHint });
    var select = el("select", { id: uid(kindKey), multiple: true, size: String(Math.min(Math.max(items.length, 2), 5)), "aria-describedby": hint.id },
      items.map(function (item) { return option(item.id, item.name, chosen.indexOf(item.id) !== -1); }));
    this.change(select, function () {
      leaf[kindKey] = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return Number(o.value); });
    });
    fields.appendChild(labelled(select, name + ": " + t["kind_" + kindKey], false));
    fields.appendChild(hint);
  };

  Builder.prototype.render_job_role = function (leaf, fields, name) {
    this.renderMulti(leaf, fields, name, "job_role", this.options.jobRoles);
  };

  Builder.prototype.render_location = function (leaf, fields, name) {
    this.renderMulti(leaf, fields, name, "location", this.options.locations);
  };

  Builder.prototype.render_hire_date = function (leaf, fields, name) {
    var self = this;
    var t = this.text;
    var condition = leaf.hire_date || {};
    var mode = ["before", "after", "within_days"].filter(function (m) { return condition[m] !== undefined; })[0] || "within_days";
    var modeSelect = el("select", { id: uid("mode") }, [
      option("before", t.hireBefore, mode === "before"),
      option("after", t.hireAfter, mode === "after"),
      option("within_days", t.hireWithin, mode === "within_days"),
    ]);
    var input = mode === "within_days"
      ? el("input", { type: "number", min: "0", step: "1", id: uid("days"), value: String(condition.within_days === undefined ? 30 : condition.within_days), inputmode: "numeric" })
      : el("input", { type: "date", id: uid("date"), value: condition[mode] || "" });
    modeSelect.addEventListener("change", function () {
      var fresh = {};
      fresh[modeSelect.value] = modeSelect.value === "within_days" ? 30 : "";
      leaf.hire_date = fresh;
      self.render(null);
      // Keep the focus on the same control after the value input changed type.
      var again = self.root.querySelector("[data-mode-for='" + name + "']");
      if (again) { again.focus(); }
    });
    modeSelect.setAttribute("data-mode-for", name);
    this.change(input, function () {
      var fresh = {};
      fresh[mode] = mode === "within_days" ? parseNumberOrText(input.value, "number") : input.value;
      leaf.hire_date = fresh;
    });
    fields.appendChild(labelled(modeSelect, name + ": " + t.kind_hire_date + " " + t.mode, false));
    fields.appendChild(labelled(input, name + ": " + (mode === "within_days" ? t.days : t.date), false));
  };

  Builder.prototype.render_attribute = function (leaf, fields, name) {
    var self = this;
    var t = this.text;
    var attributes = this.options.attributes;
    if (!attributes.length) {
      fields.appendChild(el("p", { className: "muted", text: t.noAttributes }));
      return;
    }
    var condition = leaf.attribute || (leaf.attribute = { key: attributes[0].key, op: "eq", value: "" });
    var definition = attributes.filter(function (a) { return a.key === condition.key; })[0] || attributes[0];
    condition.key = definition.key;
    if (definition.ops.indexOf(condition.op) === -1) {
      condition.op = definition.ops[0];
    }
    var keySelect = el("select", { id: uid("key") }, attributes.map(function (a) { return option(a.key, a.label, a.key === definition.key); }));
    keySelect.setAttribute("data-key-for", name);
    keySelect.addEventListener("change", function () {
      leaf.attribute = { key: keySelect.value, op: "eq", value: "" };
      self.render(null);
      var again = self.root.querySelector("[data-key-for='" + name + "']");
      if (again) { again.focus(); }
    });
    var opSelect = el("select", { id: uid("aop") }, definition.ops.map(function (op) { return option(op, t["op_" + op], op === condition.op); }));
    opSelect.setAttribute("data-op-for", name);
    opSelect.addEventListener("change", function () {
      var wasList = condition.op === "in";
      condition.op = opSelect.value;
      if (condition.op === "is_set") {
        delete condition.value;
      } else if ((condition.op === "in") !== wasList || condition.value === undefined) {
        condition.value = condition.op === "in" ? [] : "";
      }
      self.render(null);
      var again = self.root.querySelector("[data-op-for='" + name + "']");
      if (again) { again.focus(); }
    });
    fields.appendChild(labelled(keySelect, name + ": " + t.attribute, false));
    fields.appendChild(labelled(opSelect, name + ": " + t.operator, false));
    if (condition.op === "is_set") {
      return;
    }
    var valueControl;
    if (definition.type === "choice") {
      var chosen = Array.isArray(condition.value) ? condition.value : [condition.value];
      var choices = condition.op === "in" ? [] : [option("", t.choose, !condition.value)];
      valueControl = el("select", { id: uid("val"), multiple: condition.op === "in" }, choices.concat(
        definition.choices.map(function (c) { return option(c, c, chosen.indexOf(c) !== -1); })
      ));
      this.change(valueControl, function () {
        condition.value = condition.op === "in"
          ? Array.prototype.filter.call(valueControl.options, function (o) { return o.selected; }).map(function (o) { return o.value; })
          : valueControl.value;
      });
    } else if (condition.op === "in") {
      valueControl = el("input", { type: "text", id: uid("val"), value: (condition.value || []).join(", ") });
      this.change(valueControl, function () {
        condition.value = valueControl.value.split(",").map(function (part) { return part.trim(); })
          .filter(function (part) { return part !== ""; })
          .map(function (part) { return parseNumberOrText(part, definition.type); });
      });
    } else {
      var inputType = { number: "number", date: "date" }[definition.type] || "text";
      valueControl = el("input", { type: inputType, id: uid("val"), value: condition.value === undefined ? "" : String(condition.value), step: inputType === "number" ? "any" : null });
      this.change(valueControl, function () { condition.value = parseNumberOrText(valueControl.value, definition.type); });
    }
    fields.appendChild(labelled(valueControl, name + ": " + (condition.op === "in" && definition.type !== "choice" ? t.values : t.value), false));
  };

  Builder.prototype.render_audience = function (leaf, fields, name) {
    var t = this.text;
    if (!this.options.audiences.length) {
      fields.appendChild(el("p", { className: "muted", text: t.noAudiences }));
      return;
    }
    var select = el("select", { id: uid("aud") }, [option("", t.choose, !leaf.audience)].concat(
      this.options.audiences.map(function (a) { return option(a.id, a.name, leaf.audience === a.id); })
    ));
    this.change(select, function () { leaf.audience = select.value ? Number(select.value) : null; });
    fields.appendChild(labelled(select, name + ": " + t.kind_audience, false));
  };

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("audienceBuilder", function () {
      return {
        init: function () {
          var root = this.$el;
          var field = document.getElementById(root.dataset.field);
          var optionsNode = document.getElementById(root.dataset.options);
          if (!field || !optionsNode) {
            return;
          }
          var builder = new Builder(root, field, JSON.parse(optionsNode.textContent));
          builder.render(null);
          // The builder owns the JSON field now; the field stays in the form (hidden) and is what gets posted.
          var fallback = document.getElementById(root.dataset.fallback);
          if (fallback) {
            fallback.hidden = true;
          }
          root.hidden = false;
        },
      };
    });
  });
})();
