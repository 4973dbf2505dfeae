// Renders /openapi.json as a readable list, so the API docs work offline (no CDN-hosted Swagger UI).
const box = document.getElementById("endpoints");
const h = (tag, props = {}, ...kids) => { const n = Object.assign(document.createElement(tag), props); n.append(...kids); return n; };
fetch("/openapi.json").then((r) => r.json()).then((spec) => {
  box.replaceChildren();
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const card = h("section", { className: "card" });
      card.style.marginBottom = "12px";
      card.append(h("h2", {}, h("code", {}, `${method.toUpperCase()} ${path}`), " ", op.summary || ""));
      if (op.description) card.append(h("p", { className: "hint" }, op.description));
      const params = op.parameters || [];
      if (params.length) {
        const line = h("p", {}, "Parameters: ");
        params.forEach((p, i) => line.append(i ? ", " : "", h("code", {}, p.name)));
        card.append(line);
      }
      const example = path === "/api/trend" ? "/api/trend?q=GRPO,DPO&from=2024-01" : path === "/api/papers" ? "/api/papers?q=GRPO&period=2025-05&limit=5" : path === "/api/stats" ? "/api/stats" : null;
      if (example) card.append(h("p", {}, "Try: ", h("a", { href: example }, example)));
      box.append(card);
    }
  }
}).catch((e) => { box.textContent = `Could not load /openapi.json: ${e}`; });
