// Attribute sets by name or file: a built-in set's name (story-names, gendered-words, origin-names,
// age-words, nationalities), or a YAML or JSON file of a custom set, read through attributeSetSchema so
// a malformed file is refused with where and why.
import { parseDocument } from 'yaml';
import { decodeUtf8 } from '../tasks/index.js';
import { NotFoundError, ValidationError, parseInput, readInputFile } from '../errors/index.js';
import { attributeSets, attributeSetSchema, type AttributeSet } from './attribute-sets.js';

const source = (where: string) => ({
  where,
  code: 'AUDIT_SET_INVALID',
  hint: 'An attribute set has name, kind (names or paired), groups [{name, terms}] and source; see docs/audit.md.',
});

/** The built-in set called `reference`, else the set in the file at that path. */
export function readAttributeSet(reference: string): AttributeSet {
  const builtIn = attributeSets[reference];
  if (builtIn) return builtIn;
  if (!/[./\\]/.test(reference))
    throw new NotFoundError(`there is no built-in attribute set ${reference}`, {
      code: 'AUDIT_SET_NOT_FOUND',
      hint: `Use one of ${Object.keys(attributeSets).join(', ')}, or the path of a YAML or JSON set.`,
    });
  const bytes = readInputFile(reference, {
    ...source(reference),
    notFoundCode: 'AUDIT_SET_NOT_FOUND',
    notFoundHint: `Give a YAML or JSON file, or a built-in set: ${Object.keys(attributeSets).join(', ')}.`,
  });
  const decoded = decodeUtf8(bytes);
  if (!('text' in decoded))
    throw new ValidationError(`${reference}: line ${decoded.invalidLine} is not UTF-8`, source(reference));
  const document = parseDocument(decoded.text, { prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0)
    throw new ValidationError(
      `${reference}: ${document.errors[0].message.split('\n')[0]}`,
      source(reference),
    );
  return parseInput(attributeSetSchema, document.toJS(), source(reference));
}
