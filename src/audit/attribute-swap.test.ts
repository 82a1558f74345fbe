// Aligned sets rewrite an example as one: the gender task's pronouns, gendered words and names all move
// to the other group, the target with them, and an answer maps back through every step. Sets that
// disagree on an example's group leave it out; sets with different group counts are refused; custom
// sets are read through their schema.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAttributeSet } from './attribute-set-file.js';
import { ageWords, genderedWords, nationalities, originNames, storyNames } from './attribute-sets.js';
import { alignedGroupNames, swapAttributes, undoSwap } from './attribute-swap.js';

describe('swapAttributes', () => {
  it('swaps names and gendered words together, target included, and maps an answer back', () => {
    const example = { fields: { input: 'She loved her dog. One day, Lily saw a bird.' }, target: ' girl' };
    const found = swapAttributes(example, [storyNames, genderedWords])!;
    expect(found.source).toBe(0);
    const [girl, boy] = found.variants;
    expect(girl).toMatchObject({ group: 'girl names + female', ...example, steps: [] });
    expect(boy.group).toBe('boy names + male');
    expect(boy.fields.input).toBe('He loved his dog. One day, Tim saw a bird.');
    expect(boy.target).toBe(' boy');
    expect(undoSwap(' Tim and his boy', boy)).toBe(' Lily and her girl');
  });

  it('uses the sets that apply, and leaves out an example whose sets disagree', () => {
    const pronounsOnly = swapAttributes({ fields: { input: 'He ran.' }, target: ' boy' }, [
      storyNames,
      genderedWords,
    ])!;
    expect(pronounsOnly.source).toBe(1);
    expect(pronounsOnly.variants[0].fields.input).toBe('She ran.');
    // a girl's name with male pronouns: which group is it?
    expect(
      swapAttributes({ fields: { input: 'Lily said he ran.' }, target: ' x' }, [storyNames, genderedWords]),
    ).toBeUndefined();
    expect(swapAttributes({ fields: { input: 'A dog ran.' }, target: ' x' }, [storyNames])).toBeUndefined();
  });

  it('keeps a name’s perceived gender across origin groups', () => {
    const [, other] = swapAttributes({ fields: { input: 'Emily met Greg.' }, target: ' Emily' }, [
      originNames,
    ])!.variants;
    expect(other.fields.input).toBe('Kenya met Jermaine.'); // the fourth female and fourth male name
    expect(other.target).toBe(' Kenya');
  });

  it('swaps a nationality with its country, and ages both ways', () => {
    const found = swapAttributes(
      { fields: { input: 'A Mexican chef moved from Mexico.' }, target: ' Mexican' },
      [nationalities],
    )!;
    expect(found.variants).toHaveLength(6);
    expect(found.variants[1]).toMatchObject({
      group: 'British',
      fields: { input: 'A British chef moved from Britain.' },
      target: ' British',
    });
    // one word of each: a tie goes to the first group, and the other group's version swaps both ways
    const age = swapAttributes({ fields: { input: 'The old man and the young dog.' }, target: ' x' }, [
      ageWords,
    ])!;
    expect(age.source).toBe(0);
    expect(age.variants[1].fields.input).toBe('The young man and the old dog.');
  });

  it('refuses sets whose groups do not line up', () => {
    const three = {
      ...storyNames,
      name: 'three',
      groups: [...storyNames.groups, { name: 'x', terms: ['Zed'] }],
    };
    expect(() => alignedGroupNames([storyNames, three])).toThrow(
      expect.objectContaining({ code: 'AUDIT_SETS_MISALIGNED' }),
    );
    expect(() => alignedGroupNames([])).toThrow(expect.objectContaining({ code: 'AUDIT_NO_SET' }));
  });
});

describe('readAttributeSet', () => {
  const folder = mkdtempSync(join(tmpdir(), 'promptune-sets-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(folder, name), text);
    return join(folder, name);
  };

  it('reads built-in sets by name and custom sets from YAML', () => {
    expect(readAttributeSet('gendered-words')).toBe(genderedWords);
    const custom = readAttributeSet(
      file(
        'ages.yaml',
        'name: ages\nkind: paired\nsource: hand-written\ngroups:\n  - {name: young, terms: [young, younger]}\n  - {name: old, terms: [old, older]}\n',
      ),
    );
    expect(custom.groups[1].terms).toEqual(['old', 'older']);
  });

  it('refuses unknown names, missing files and malformed sets with a code and a hint', () => {
    expect(() => readAttributeSet('ages')).toThrow(expect.objectContaining({ code: 'AUDIT_SET_NOT_FOUND' }));
    expect(() => readAttributeSet(join(folder, 'missing.yaml'))).toThrow(
      expect.objectContaining({ code: 'AUDIT_SET_NOT_FOUND' }),
    );
    for (const text of [
      'name: x\nkind: paired\nsource: s\ngroups:\n  - {name: a, terms: [one, two]}\n  - {name: b, terms: [three]}\n',
      'name: x\nkind: names\nsource: s\ngroups:\n  - {name: a, terms: [two words]}\n  - {name: b, terms: [c]}\n',
      'name: x\nname: y\n',
      'just text',
    ])
      expect(() => readAttributeSet(file('bad.yaml', text))).toThrow(
        expect.objectContaining({ code: 'AUDIT_SET_INVALID', hint: expect.any(String) }),
      );
  });
});
