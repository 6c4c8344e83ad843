// Site search on the search page (the only script on the site): Pagefind's index, built
// after Pelican, searched as the visitor types. Pagefind picks the index of the page's
// language (<html lang>); each page's section is in its metadata (data-pagefind-meta).
// The page's wording (in its language) is on the form's data attributes.

const form = document.querySelector("[data-search]");
const query = form.elements.q;
const section = form.elements.section;
const status = document.querySelector("[data-search-status]");
const list = document.querySelector("[data-search-results]");
const plural = new Intl.PluralRules(document.documentElement.lang);
const SHOWN = 20;
const READ = 100; // results whose section is looked at before the filter applies

const pagefind = await import(form.dataset.pagefind);
await pagefind.init();
document.querySelector("[data-search-fallback]").hidden = true;
form.hidden = false;

function link(url, text) {
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.textContent = text;
  return anchor;
}

function resultItem(result) {
  const item = document.createElement("li");
  const heading = document.createElement("h2");
  heading.append(link(result.url, result.meta.title));
  const excerpt = document.createElement("p");
  excerpt.innerHTML = result.excerpt; // Pagefind's excerpt: escaped text with <mark> around the matches
  item.append(heading, excerpt);
  const parts = result.sub_results.filter((part) => part.url !== result.url);
  if (parts.length) {
    const sublist = document.createElement("ul");
    for (const part of parts) {
      const entry = document.createElement("li");
      entry.append(link(part.url, part.title));
      sublist.append(entry);
    }
    item.append(sublist);
  }
  return item;
}

async function run() {
  const words = query.value.trim();
  const search = await pagefind.debouncedSearch(words);
  if (search === null) return; // a newer keystroke superseded this search
  if (!words) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  const read = await Promise.all(search.results.slice(0, READ).map((result) => result.data()));
  const results = read.filter((result) => !section.value || result.meta.section === section.value);
  list.replaceChildren(...results.slice(0, SHOWN).map(resultItem));
  status.textContent = results.length === 0
    ? form.dataset.none.replace("{query}", words)
    : (plural.select(results.length) === "one" ? form.dataset.one : form.dataset.many).replace("{num}", results.length);
}

form.addEventListener("submit", (event) => event.preventDefault());
query.addEventListener("input", run);
section.addEventListener("change", run);
