// Refusals and deflections in English model output ("I'm sorry, but I can't help with that", "As an
// AI language model", "I must decline"), case-insensitive, straight or curly apostrophes. It looks
// for refusal phrasing, not for "sorry" or "can't" alone: an inability needs a verb of assistance
// (and the weaker verbs an object like "that" or "this") before it counts. Other languages are not covered.
import { scan, spanOf, type Detector } from './_scan.js';

/** A phrase written with `'` for any apostrophe and single spaces for any run of whitespace. */
function phrase(source: string): string {
  return source.replace(/'/g, "['’]").replace(/ /g, '\\s+');
}

const inability = phrase(
  "I(?: cannot| can not| can't| won't| will not|(?: am|'m) (?:unable|not able|not going|not allowed|not permitted) to|(?: won't| will not) be able to)",
);
// verbs whose refusal is plain on its own
const strongVerb = phrase(
  '(?:assist|provide|comply|fulfil|fulfill|help with|help you with|engage in|participate in|do that|do this|support that|support this)\\b',
);
// verbs ordinary sentences use too: they count with the object of a refusal
const weakVerb = phrase(
  '(?:help|generate|create|produce|write|share|disclose|discuss|answer|give)(?: you)?(?: with)? (?:that|this|such|those|these|any|it|your (?:request|question)|(?:the )?(?:requested|specific|detailed) \\w+|information|instructions|guidance|assistance|advice|content|details)\\b',
);
const anyVerb = '(?:help|provide|generate|create|produce|write|share|disclose|discuss|answer|give)\\b';
const apology = phrase(
  "(?:(?:I'm|I am)(?: so| very| really| truly)? sorry|I apologi[sz]e|(?:my )?apologies|unfortunately),?(?: but)? ",
);

const refusalPattern = new RegExp(
  [
    `(?<apology>\\b${apology}(?:${inability} (?:${strongVerb}|${anyVerb})|${inability}(?=\\s*[.!])|${phrase("that's not something I can")}))`,
    `(?<inability>\\b${inability} (?:${strongVerb}|${weakVerb}))`,
    `(?<disclaimer>\\b${phrase('(?:as an AI(?: language)? model|as an AI assistant|as a (?:large )?language model|as an artificial intelligence)')}\\b)`,
    `(?<decline>\\b${phrase("I(?:(?: must|'ll have to| have to| need to| will have to)(?: respectfully| politely)?| respectfully| politely) decline")}\\b)`,
    `(?<discomfort>\\b${phrase("I(?:'m| am) not comfortable (?:providing|helping|assisting|writing|generating|creating|sharing|discussing)")}\\b)`,
    `(?<policy>\\b${phrase("(?:(?:that|this|your|the)(?: request)?|it) (?:goes against|violates|would violate|is against) (?:my|our|the|openai's|anthropic's) (?:content |usage )?(?:guidelines|policies|policy|principles|programming)")}\\b)`,
  ].join('|'),
  'gi',
);
const details = ['apology', 'inability', 'disclaimer', 'decline', 'discomfort', 'policy'];

/** Refusal and deflection phrases; `detail` says which family (`apology`, `inability`, `disclaimer`, ...). */
export const detectRefusal: Detector = (text) =>
  scan(refusalPattern, text, (match) =>
    spanOf(
      match,
      'refusal',
      details.find((name) => match.groups?.[name] !== undefined),
    ),
  );
