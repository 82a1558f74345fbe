// Two versions' sections side by side for a diff: matched by name without the count a title may carry
// ("demos (0)" before a demo was added is "demos (1)" after), in the order they come, a changed count
// said in the title ("demos (0 → 1)").

/** A section of either or both: its title as shown, and its body before and after (undefined: absent). */
export interface SectionPair {
  title: string;
  before: string | undefined;
  after: string | undefined;
}

const name = (title: string) => title.replace(/ \(\d+\)$/, '');
const count = (title: string) => /\((\d+)\)$/.exec(title)?.[1];

/** The sections of `before` and `after` paired by name. */
export function pairSections(before: [string, string][], after: [string, string][]): SectionPair[] {
  const names = [...new Set([...before, ...after].map(([title]) => name(title)))];
  const find = (sections: [string, string][], wanted: string) =>
    sections.find(([title]) => name(title) === wanted);
  return names.map((wanted) => {
    const [was, is] = [find(before, wanted), find(after, wanted)];
    const title =
      was && is && was[0] !== is[0] ? `${wanted} (${count(was[0])} → ${count(is[0])})` : (is ?? was)![0];
    return { title, before: was?.[1], after: is?.[1] };
  });
}
