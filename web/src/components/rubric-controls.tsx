// The queue's rubric as controls: a small number range or a few categories as toggle buttons (they
// keep the keyboard's shortcuts working), yes/no as two toggles, and a field or a select otherwise.
// Answers are optional; the service checks them against the rubric when the decision is sent.
import type { RubricItem, RubricValue } from '../types';

/** The values a numeric rubric item offers as buttons (a whole-number range of at most 10), if any. */
export function numericChoices(item: RubricItem): number[] | undefined {
  const { minimum, maximum } = item;
  if (minimum === undefined || maximum === undefined) return undefined;
  if (!Number.isInteger(minimum) || !Number.isInteger(maximum) || maximum < minimum) return undefined;
  if (maximum - minimum > 9) return undefined;
  return Array.from({ length: maximum - minimum + 1 }, (_, index) => minimum + index);
}

/** Whether `value` answers the numeric rubric `item` (inside its range). */
export const fitsNumeric = (item: RubricItem, value: number): boolean =>
  (item.minimum === undefined || value >= item.minimum) &&
  (item.maximum === undefined || value <= item.maximum);

function Toggles<T extends RubricValue>(props: {
  name: string;
  choices: [T, string][];
  value: RubricValue | undefined;
  onChange: (value: T | undefined) => void;
}) {
  return (
    <span className="toggles" role="group" aria-label={props.name}>
      {props.choices.map(([choice, title]) => (
        <button
          key={String(choice)}
          type="button"
          className={`toggle small${props.value === choice ? ' on' : ''}`}
          aria-pressed={props.value === choice}
          onClick={() => props.onChange(props.value === choice ? undefined : choice)}
        >
          {title}
        </button>
      ))}
    </span>
  );
}

function Control(props: {
  item: RubricItem;
  value: RubricValue | undefined;
  onChange: (value: RubricValue | undefined) => void;
}) {
  const { item, value, onChange } = props;
  if (item.kind === 'boolean')
    return (
      <Toggles
        name={item.name}
        choices={[
          [true, 'yes'],
          [false, 'no'],
        ]}
        value={value}
        onChange={onChange}
      />
    );
  if (item.kind === 'categorical') {
    const categories = item.categories ?? [];
    if (categories.length <= 6)
      return (
        <Toggles
          name={item.name}
          choices={categories.map((category) => [category, category])}
          value={value}
          onChange={onChange}
        />
      );
    return (
      <select
        aria-label={item.name}
        value={typeof value === 'string' ? value : ''}
        onChange={(event) => {
          onChange(event.target.value || undefined);
          event.currentTarget.blur(); // back to the shortcuts
        }}
      >
        <option value="">–</option>
        {categories.map((category) => (
          <option key={category}>{category}</option>
        ))}
      </select>
    );
  }
  const choices = numericChoices(item);
  if (choices)
    return (
      <Toggles
        name={item.name}
        choices={choices.map((choice) => [choice, String(choice)])}
        value={value}
        onChange={onChange}
      />
    );
  return (
    <input
      type="number"
      aria-label={item.name}
      min={item.minimum}
      max={item.maximum}
      value={typeof value === 'number' ? value : ''}
      onChange={(event) => onChange(event.target.value === '' ? undefined : Number(event.target.value))}
    />
  );
}

/** The digit keys that set a numeric item: 1 to 9, within its range ("1–5" for a 1-to-5 score). */
function digitKeys(item: RubricItem): string {
  const low = Math.max(1, Math.ceil(item.minimum ?? 1));
  const high = Math.min(9, Math.floor(item.maximum ?? 9));
  return low === high ? String(low) : `${low}–${high}`;
}

/** The rubric's questions with their answers so far. */
export function RubricControls(props: {
  rubric: RubricItem[];
  values: Record<string, RubricValue>;
  onChange: (name: string, value: RubricValue | undefined) => void;
}) {
  if (props.rubric.length === 0) return null;
  const scored = props.rubric.find((item) => item.kind === 'numeric');
  return (
    <div className="rubric" data-testid="rubric">
      {props.rubric.map((item) => (
        <div key={item.name} className="rubric-item">
          <span className="rubric-name">
            {item.name}
            {item === scored && <kbd title="digit keys set it">{digitKeys(item)}</kbd>}
          </span>
          <Control
            item={item}
            value={props.values[item.name]}
            onChange={(value) => props.onChange(item.name, value)}
          />
        </div>
      ))}
    </div>
  );
}
