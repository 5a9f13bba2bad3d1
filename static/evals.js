// The evals page: starts a run (POST /api/evals) and follows its stream with a progress bar.
import { postJSON, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
const form = $("eval-form");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const models = [...form.querySelectorAll("input[name=model]:checked")].map((box) => box.value);
  const body = { models, repeat: Number($("eval-repeat").value) || 1 };
  if ($("eval-suite").value) body.suite = $("eval-suite").value;
  else body.suite_toml = $("eval-toml").value;
  showError(form, "");
  let run;
  try {
    ({ eval: run } = await postJSON("/api/evals", body));
  } catch (error) {
    showError(form, error.message);
    return;
  }
  follow(run);
});

function follow(run) {
  const box = $("eval-progress");
  const bar = $("eval-progress-bar");
  const text = $("eval-progress-text");
  const link = $("eval-report-link");
  box.hidden = false;
  bar.max = run.total;
  bar.value = run.done;
  text.textContent = `0 of ${run.total} runs done…`;
  link.href = run.report_url;
  const stream = new EventSource(run.stream_url);
  stream.addEventListener("progress", (event) => {
    const { done, total, result } = JSON.parse(event.data);
    bar.value = done;
    text.textContent = `${done} of ${total} runs done; last: ${result.prompt_id} with ${result.model}, ${result.passed ? "passed" : "failed"}.`;
  });
  stream.addEventListener("done", (event) => {
    stream.close();
    const { eval: final } = JSON.parse(event.data);
    bar.value = final.done;
    const passed = final.summary.map((row) => `${row.model}: ${row.passed}/${row.runs} passed`).join(", ");
    text.textContent = `Finished: ${passed}.`;
    link.hidden = false;
  });
}
