// The web editor's file format for news items and pages: Pelican's own header, one
// `Key: value` line per field, an empty line, then the Markdown text. Decap would write
// YAML front matter, which the site does not read. It reads a header as
// laceps.checks.read_source does, and writes the field names as editors and EDITING.md do.
(function () {
  "use strict";
  const FIELD_LINE = /^([A-Za-z][A-Za-z0-9_-]*):\s*(.*)$/; // laceps.checks.META_LINE
  const NAMES = { save_as: "Save_as", url: "URL" }; // laceps.checks.FIELD_NAMES; the others are capitalized
  const MAY_BE_EMPTY = ["url"]; // laceps.checks.MAY_BE_EMPTY: "URL:" alone puts a page at the site's root

  function fromFile(text) {
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    const data = {};
    let last = null;
    let bodyStart = lines.length;
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index];
      if (!line.trim()) {
        bodyStart = index + 1;
        break;
      }
      const match = FIELD_LINE.exec(line);
      if (match) {
        last = match[1].toLowerCase();
        data[last] = match[2].trim();
      } else if (last && /^[ \t]/.test(line)) {
        data[last] = `${data[last]} ${line.trim()}`; // a value continued on the next line
      } else {
        bodyStart = index;
        break;
      }
    }
    data.body = lines.slice(bodyStart).join("\n").replace(/\s+$/, "");
    return data;
  }

  function fieldName(key) {
    return NAMES[key] || key.charAt(0).toUpperCase() + key.slice(1);
  }

  // sortedKeys: the collection's fields in order; fields the editor does not show (Template,
  // Status, …) follow, as the file had them. Empty fields are left out: the checks refuse them.
  function toFile(data, sortedKeys = []) {
    const { body = "", ...fields } = data;
    const keys = [...sortedKeys.filter((key) => key in fields), ...Object.keys(fields).filter((key) => !sortedKeys.includes(key))];
    const header = keys
      .filter((key) => MAY_BE_EMPTY.includes(key) || (fields[key] !== undefined && fields[key] !== null && String(fields[key]).trim() !== ""))
      .map((key) => `${fieldName(key)}: ${String(fields[key] ?? "").replace(/\s+/g, " ").trim()}`.trimEnd());
    const text = String(body).replace(/\s+$/, "");
    return `${header.join("\n")}\n${text ? `\n${text}\n` : ""}`;
  }

  CMS.registerCustomFormat("pelican", "md", { fromFile, toFile });
})();
