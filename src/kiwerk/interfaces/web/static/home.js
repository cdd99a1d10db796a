"use strict";
(async function () {
  const org = kiwerk.org;
  const say = (id, text) => { document.getElementById(id).textContent = text; };
  try {
    const [datasets, models, pilots] = await Promise.all([
      kiwerk.api("/datasets"),
      kiwerk.api("/models"),
      kiwerk.api("/pilots").catch(() => null),
    ]);
    const own = datasets.filter((d) => d.org === org);
    say("home-datasets", `${own.length} datasets of ${org}, ${datasets.length - own.length} granted by others.`);
    const mine = models.filter((m) => m.org === org);
    const prod = mine.filter((m) => m.versions.some((v) => v.aliases.includes("production")));
    say("home-models", `${mine.length} pilot models, ${prod.length} with a production version.`);
    say("home-pilots", pilots === null ? "Not available." :
      `${pilots.filter((p) => p.organisation === org).length} tracked pilots.`);
  } catch (error) {
    kiwerk.showError("home-error", error);
  }
})();
