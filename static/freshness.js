// Another tab, or a script, may add versions to the app this editor shows: a light poll of
// GET /api/apps/{id} while the tab is visible tells the editor, so that nobody branches from a stale
// version without knowing. It rests while this editor follows a version of its own.
import { getJSON } from "./api.js";

const EVERY_MS = 4000;

// known() -> [{number, status}] this editor has; quiet() -> true while polling is pointless
// onChange({app, versions}): the app as it is now, and the versions that are new or changed status.
export function watchForChanges({ appId, known, quiet, onChange }) {
  let timer = null;

  async function check() {
    if (document.hidden || quiet()) return;
    try {
      // The newest versions are enough to hear of new ones and of changes to recent ones.
      const answer = await getJSON(`/api/apps/${appId}/versions?limit=50`);
      const mine = new Map(known().map((v) => [v.number, v.status]));
      const news = answer.versions.filter((v) => mine.get(v.number) !== v.status);
      onChange({ app: answer.app, versions: news });
    } catch {
      // Offline for a moment, or the app was deleted: the next check, or the next action, says so.
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = setInterval(check, EVERY_MS);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) check();
  });
  schedule();
  return { check };
}
