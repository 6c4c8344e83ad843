// Site search on the search page (the only script on the site): Pagefind's index, built
// after Pelican, searched as the visitor types. Pagefind picks the index of the page's
// language (<html lang>); the section filter comes from data-pagefind-filter on <main>.
// The page's wording (in its language) is on the form's data attributes.

const form = document.querySelector("[data-search]");
const query = form.elements.q;
const section = form.elements.section;
const status = document.querySelector("[data-search-status]");
const list = document.querySelector("[data-search-results]");
const plural = new Intl.PluralRules(document.documentElement.lang);
const MAX_RESULTS = 20;

const pagefind = await import(form.dataset.pagefind);
await pagefind.init();

const { section: sections = {} } = await pagefind.filters();
for (const name of Object.keys(sections).sort()) {
  section.add(new Option(name, name));
}

document.querySelector("[data-search-fallback]").hidden = true;
form.hidden = false;

function resultItem(result) {
  const item = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = result.url;
  link.textContent = result.meta.title;
  heading.append(link);
  const excerpt = document.createElement("p");
  excerpt.innerHTML = result.excerpt; // Pagefind's excerpt: escaped text with <mark> around the matches
  item.append(heading, excerpt);
  const parts = result.sub_results.filter((part) => part.url !== result.url);
  if (parts.length) {
    const sublist = document.createElement("ul");
    for (const part of parts) {
      const entry = document.createElement("li");
      const partLink = document.createElement("a");
      partLink.href = part.url;
      partLink.textContent = part.title;
      entry.append(partLink);
      sublist.append(entry);
    }
    item.append(sublist);
  }
  return item;
}

async function run() {
  const words = query.value.trim();
  const filters = section.value ? { section: section.value } : {};
  const search = await pagefind.debouncedSearch(words || null, { filters });
  if (search === null) return; // a newer keystroke superseded this search
  if (!words && !section.value) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  const results = await Promise.all(search.results.slice(0, MAX_RESULTS).map((result) => result.data()));
  list.replaceChildren(...results.map(resultItem));
  const count = search.results.length;
  status.textContent = count === 0
    ? form.dataset.none.replace("{query}", words)
    : (plural.select(count) === "one" ? form.dataset.one : form.dataset.many).replace("{num}", count);
}

form.addEventListener("submit", (event) => event.preventDefault());
query.addEventListener("input", run);
section.addEventListener("change", run);
