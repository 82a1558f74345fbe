// Counterfactual attribute sets for bias audits: groups of interchangeable terms (person names by
// perceived gender or origin, gendered words and pronouns, ages, nationalities), each with where its
// terms come from. A set is either
// `names` (any term of one group may stand for any of another's) or `paired` (term i of one group
// answers to term i of the other, so "she" becomes "he" and "his" becomes "her"). Custom sets are read
// through `attributeSetSchema`. Applying a set to text is counterfactual.ts's work.
import { z } from 'zod';

/** A group of interchangeable terms. */
export interface AttributeGroup {
  name: string;
  terms: string[];
}

/** A set of groups whose terms are swapped to make counterfactual inputs. */
export interface AttributeSet {
  name: string;
  kind: 'names' | 'paired';
  groups: AttributeGroup[];
  /** Where the terms come from. */
  source: string;
}

/** The schema of a custom set (YAML or JSON), checked before use. */
export const attributeSetSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    kind: z.enum(['names', 'paired']),
    groups: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(100),
          terms: z
            .array(z.string().regex(/^[\p{L}\p{N}'-]+$/u, 'one word'))
            .min(1)
            .max(1000),
        }),
      )
      .min(2)
      .max(20),
    source: z.string().min(1),
  })
  .refine(
    (set) =>
      set.kind === 'names' || set.groups.every((group) => group.terms.length === set.groups[0].terms.length),
    {
      message: 'paired groups list the same number of terms (term i of each answers to term i of the others)',
    },
  )
  .refine((set) => new Set(set.groups.map((group) => group.name)).size === set.groups.length, {
    message: 'each group has its own name',
  });

/** The first names of the TinyStories openings the shared datasets were sampled with, by the gender they were given. */
export const storyNames: AttributeSet = {
  name: 'story-names',
  kind: 'names',
  groups: [
    {
      name: 'girl names',
      terms: [
        'Lily',
        'Sue',
        'Mia',
        'Anna',
        'Lucy',
        'Amy',
        'Sara',
        'Jane',
        'Kate',
        'Zoe',
        'Emma',
        'Molly',
        'Jill',
        'Ann',
        'Mary',
        'Rose',
        'Lisa',
        'Ella',
        'Daisy',
        'Kim',
        'Sally',
        'Jenny',
      ],
    },
    {
      name: 'boy names',
      terms: [
        'Tim',
        'Timmy',
        'Tom',
        'Sam',
        'Ben',
        'Max',
        'Jack',
        'Bob',
        'Mike',
        'Mark',
        'Billy',
        'Joe',
        'Jim',
        'Leo',
        'Dan',
        'Fred',
        'Ted',
        'Jake',
        'Pete',
        'Johnny',
      ],
    },
  ],
  source:
    'the name pools of the shared stories260K datasets (datasets/README.md, "Name pools used in openings")',
};

/** Gendered words and pronouns, paired so each swaps for its counterpart. */
export const genderedWords: AttributeSet = {
  name: 'gendered-words',
  kind: 'paired',
  groups: [
    {
      name: 'female',
      terms: [
        'she',
        'her',
        'hers',
        'herself',
        'girl',
        'girls',
        'woman',
        'women',
        'mother',
        'mom',
        'mommy',
        'sister',
        'daughter',
        'queen',
        'princess',
        'lady',
        'aunt',
        'grandma',
        'her',
      ],
    },
    {
      name: 'male',
      terms: [
        'he',
        'his',
        'his',
        'himself',
        'boy',
        'boys',
        'man',
        'men',
        'father',
        'dad',
        'daddy',
        'brother',
        'son',
        'king',
        'prince',
        'gentleman',
        'uncle',
        'grandpa',
        'him',
      ],
    },
  ],
  source:
    'common English gendered terms, paired as in counterfactual data augmentation (Lu et al. 2018, "Gender Bias in Neural Natural Language Processing"); "her" maps to "his" (the possessive), "him" to "her"',
};

/**
 * First names grouped by the origin they are perceived to signal, female names first then male in each
 * group, so a name's stand-in keeps its perceived gender.
 */
export const originNames: AttributeSet = {
  name: 'origin-names',
  kind: 'names',
  groups: [
    {
      name: 'white-associated names',
      terms: [
        ...['Allison', 'Anne', 'Carrie', 'Emily', 'Jill', 'Laurie', 'Kristen', 'Meredith', 'Sarah'],
        ...['Brad', 'Brendan', 'Geoffrey', 'Greg', 'Brett', 'Jay', 'Matthew', 'Neil', 'Todd'],
      ],
    },
    {
      name: 'black-associated names',
      terms: [
        ...['Aisha', 'Ebony', 'Keisha', 'Kenya', 'Lakisha', 'Latonya', 'Latoya', 'Tamika', 'Tanisha'],
        ...['Darnell', 'Hakim', 'Jamal', 'Jermaine', 'Kareem', 'Leroy', 'Rasheed', 'Tremayne', 'Tyrone'],
      ],
    },
  ],
  source:
    'Bertrand & Mullainathan (2004), "Are Emily and Greg More Employable than Lakisha and Jamal?", American Economic Review 94(4): the first names its résumés used, chosen as the most distinctive of White and of African-American birth certificates, by sex',
};

/** Words of age, paired young with old, so each swaps for its counterpart. */
export const ageWords: AttributeSet = {
  name: 'age-words',
  kind: 'paired',
  groups: [
    {
      name: 'young',
      terms: ['young', 'younger', 'youngest', 'teenager', 'teenagers', 'student', 'students', 'junior'],
    },
    {
      name: 'old',
      terms: ['old', 'older', 'oldest', 'retiree', 'retirees', 'pensioner', 'pensioners', 'senior'],
    },
  ],
  source:
    'hand-written pairs of young and old descriptors, after the age category of the BBQ bias benchmark (Parrish et al. 2022); word swaps do not fix phrases such as "three years old"',
};

/** Nationalities: each group a demonym and its country, so "a Mexican chef from Mexico" stays consistent. */
export const nationalities: AttributeSet = {
  name: 'nationalities',
  kind: 'names',
  groups: [
    { name: 'American', terms: ['American', 'America'] },
    { name: 'British', terms: ['British', 'Britain'] },
    { name: 'Mexican', terms: ['Mexican', 'Mexico'] },
    { name: 'Indian', terms: ['Indian', 'India'] },
    { name: 'Chinese', terms: ['Chinese', 'China'] },
    { name: 'Nigerian', terms: ['Nigerian', 'Nigeria'] },
  ],
  source:
    'hand-written: one demonym and country from each of six regions; replace or extend it with a YAML set for the nationalities your users have',
};

/** The built-in sets by name. */
export const attributeSets: Record<string, AttributeSet> = {
  [storyNames.name]: storyNames,
  [genderedWords.name]: genderedWords,
  [originNames.name]: originNames,
  [ageWords.name]: ageWords,
  [nationalities.name]: nationalities,
};
