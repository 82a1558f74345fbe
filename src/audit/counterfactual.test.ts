// Counterfactual rewriting: a name becomes another group's name everywhere in the example and its
// target, whole words only, never a name the example already has; gendered words swap both ways with
// their case kept; inputs with no terms, or with names of two groups, are left alone; an answer is
// mapped back to compare it with the original's.
import { describe, expect, it } from 'vitest';
import { genderedWords, storyNames } from './attribute-sets.js';
import { counterfactuals, undoReplacements } from './counterfactual.js';

describe('counterfactuals', () => {
  it('renames consistently in the input and the target, and maps an answer back', () => {
    const example = {
      fields: { input: 'There was a little girl named Sue. Sue loved Suez and her dog Spot.' },
      target: ' Sue',
    };
    const [original, boy] = counterfactuals(example, storyNames)!;
    expect(original).toMatchObject({ group: 'girl names', ...example, replacements: {} });
    // Sue is the second girl name: the second boy name stands in for it
    expect(boy).toEqual({
      group: 'boy names',
      fields: { input: 'There was a little girl named Timmy. Timmy loved Suez and her dog Spot.' },
      target: ' Timmy',
      replacements: { Sue: 'Timmy' },
    });
    expect(undoReplacements(' Timmy was happy', boy, storyNames)).toBe(' Sue was happy');
  });

  it('never picks a name the example already has, and leaves mixed or nameless inputs alone', () => {
    const [, boy] =
      counterfactuals({ fields: { input: 'Sue met Timmyx and Timmy.' }, target: ' Sue' }, storyNames) ?? [];
    expect(boy).toBeUndefined(); // Timmy is a boy name: two groups
    const [, renamed] = counterfactuals(
      { fields: { input: 'Sue saw a cat named Tom.' }, target: ' Sue' },
      {
        ...storyNames,
        groups: [storyNames.groups[0], { name: 'others', terms: ['Tom', 'Rex'] }],
      },
    ) ?? [undefined, undefined];
    expect(renamed).toBeUndefined();
    expect(counterfactuals({ fields: { input: 'A dog ran.' }, target: ' dog' }, storyNames)).toBeUndefined();
    // two names get two distinct names: Sue (second) and Lucy (fifth) would both become Max in {Ben, Max}
    const short = { ...storyNames, groups: [storyNames.groups[0], { name: 'b', terms: ['Ben', 'Max'] }] };
    const [, two] = counterfactuals({ fields: { input: 'Sue and Lucy played.' }, target: ' Sue' }, short)!;
    expect(two.replacements).toEqual({ Sue: 'Max', Lucy: 'Ben' });
    expect(two.fields.input).toBe('Max and Ben played.');
    // three names, two stand-ins: no complete counterfactual
    expect(
      counterfactuals({ fields: { input: 'Sue, Lucy and Anna.' }, target: ' Sue' }, short),
    ).toBeUndefined();
  });

  it('swaps gendered words both ways, keeping their case', () => {
    const example = {
      fields: { input: 'She gave her ball to him. The boy thanked his mom.' },
      target: ' girl',
    };
    const [original, swapped] = counterfactuals(example, genderedWords)!;
    // "she", "her" and "mom" against "him", "boy" and "his": three each, the first group found wins
    expect(original.group).toBe('female');
    expect(swapped).toMatchObject({
      group: 'male',
      fields: { input: 'He gave his ball to her. The girl thanked her dad.' },
      target: ' boy',
    });
    expect(undoReplacements('He is a boy', swapped, genderedWords)).toBe('She is a girl');
  });
});
