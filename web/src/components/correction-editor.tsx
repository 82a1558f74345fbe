// The correction editor: the output to fix, as the task answers (free text, one of its labels, or JSON
// text), sent with Ctrl/⌘+Enter and dropped with Escape (the page's keys). It does not check a JSON
// correction against the schema: the service does, and its error is shown.
import type { ReviewItemView, TaskOutput } from '../types';

/** What the editor starts with: the model's output (a label task's first label when it gave none). */
export function initialCorrection(view: ReviewItemView): string {
  const output = view.item.output ?? '';
  const spec = view.task.output;
  if (spec.kind === 'label') return spec.labels.includes(output.trim()) ? output.trim() : spec.labels[0];
  if (spec.kind === 'json')
    try {
      return JSON.stringify(JSON.parse(output), null, 2);
    } catch {
      return output;
    }
  return output;
}

const describe = (output: TaskOutput) =>
  output.kind === 'label'
    ? 'Choose the right label.'
    : output.kind === 'json'
      ? 'Edit the JSON; it must fit the task’s output schema.'
      : 'Write the output the model should have given.';

/** The editor over `draft`. */
export function CorrectionEditor(props: {
  output: TaskOutput;
  draft: string;
  busy: boolean;
  onDraft: (draft: string) => void;
  onSubmit: () => void;
  onCancel: () => void;
}) {
  const { output, draft, onDraft } = props;
  return (
    <div className="correction" data-testid="correction-editor">
      <p className="muted">
        {describe(output)} <kbd>Ctrl+Enter</kbd> sends it, <kbd>Esc</kbd> cancels.
      </p>
      {output.kind === 'label' ? (
        <select
          aria-label="correction"
          value={draft}
          onChange={(event) => onDraft(event.target.value)}
          autoFocus
        >
          {output.labels.map((label) => (
            <option key={label}>{label}</option>
          ))}
        </select>
      ) : (
        <textarea
          aria-label="correction"
          className={output.kind === 'json' ? 'code-text' : undefined}
          rows={output.kind === 'json' ? 10 : 4}
          value={draft}
          onChange={(event) => onDraft(event.target.value)}
          spellCheck={output.kind !== 'json'}
          autoFocus
        />
      )}
      <div className="inline">
        <button type="button" disabled={props.busy} onClick={props.onSubmit}>
          Send correction
        </button>
        <button type="button" className="toggle" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
