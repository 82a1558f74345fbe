// Refusals: model refusals and deflections are found (any case, straight or curly apostrophes) with
// their family; ordinary sentences with "sorry", "can't" or "unable" are not.
import { describe, expect, it } from 'vitest';
import { detectRefusal } from './refusal.js';

const found: Array<[text: string, refusal: string, family: string]> = [
  ["I'm sorry, but I can't help with that.", "I'm sorry, but I can't help with", 'apology'],
  ['I’m sorry, but I can’t assist with that request.', 'I’m sorry, but I can’t assist', 'apology'],
  ["I'm sorry, but I can't.", "I'm sorry, but I can't", 'apology'],
  ['I apologize, but I cannot provide medical advice.', 'I apologize, but I cannot provide', 'apology'],
  ['Unfortunately, I am unable to generate that.', 'Unfortunately, I am unable to generate', 'apology'],
  [
    "Sorry! I'm sorry, but that's not something I can do.",
    "I'm sorry, but that's not something I can",
    'apology',
  ],
  ['I cannot help with requests like this.', 'I cannot help with', 'inability'],
  ['i CAN NOT assist you.', 'i CAN NOT assist', 'inability'],
  ['I am unable to provide that information.', 'I am unable to provide', 'inability'],
  ["I won't be able to help you with this.", "I won't be able to help you with", 'inability'],
  ["I'm not able to provide legal advice.", "I'm not able to provide", 'inability'],
  ["I can't write that for you.", "I can't write that", 'inability'],
  ['As an AI language model, I do not have opinions.', 'As an AI language model', 'disclaimer'],
  ['as an ai assistant I keep things neutral', 'as an ai assistant', 'disclaimer'],
  ['I must decline this request.', 'I must decline', 'decline'],
  ["I'll have to respectfully decline.", "I'll have to respectfully decline", 'decline'],
  ["I'm not comfortable writing that.", "I'm not comfortable writing", 'discomfort'],
  ['That request goes against my guidelines.', 'That request goes against my guidelines', 'policy'],
  ['This violates our content policy.', 'This violates our content policy', 'policy'],
];

const ignored: string[] = [
  'Sorry for the late reply, the invoice is attached.',
  "I can't wait to see you!",
  "I'm sorry to hear about your loss.",
  "I can't believe it's Friday already.",
  'I cannot stress this enough: back up your data.',
  "I can't help but laugh at that.",
  "I won't be able to attend the meeting.",
  'I am unable to attend on Monday.',
  "Sorry, I can't make it tonight.",
  "We can't ship to PO boxes, sorry.",
  "He can't help with the move.",
  'As an AI researcher, I study language models.',
  'The API cannot handle more than ten requests a second.',
  'I declined the invitation.',
];

describe('detectRefusal', () => {
  it.each(found)('finds the refusal in %j', (text, refusal, family) => {
    const start = text.indexOf(refusal);
    expect(detectRefusal(text)).toEqual([
      { kind: 'refusal', start, end: start + refusal.length, text: refusal, detail: family },
    ]);
  });

  it.each(ignored)('ignores %j', (text) => {
    expect(detectRefusal(text)).toEqual([]);
  });

  it('finds a refusal inside a longer answer', () => {
    const text = 'Thanks for asking!\n\nAs an AI language model, I cannot help with that.';
    expect(detectRefusal(text).map((span) => span.detail)).toEqual(['disclaimer', 'inability']);
  });
});
