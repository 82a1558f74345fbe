// How long the item on screen stays this reviewer's: its reservation's end, a warning in its last two
// minutes, and what a lapse means (a decision is still kept unless another reviewer has taken the item).
import { useEffect, useState } from 'react';

const warnMs = 2 * 60_000;
const clock = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** The reservation's state for an item reserved until `until` (ms since the epoch), updated as time passes. */
export function ReservationClock({ until }: { until: number | null }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(timer);
  }, []);
  if (until === null) return null;
  const left = until - now;
  if (left <= 0)
    return (
      <p className="cut-off" data-testid="reservation">
        reservation lapsed at {clock(until)}: a decision is still kept unless another reviewer has taken the
        item
      </p>
    );
  return (
    <p className={left < warnMs ? 'cut-off' : 'muted'} data-testid="reservation">
      reserved for you until {clock(until)}
      {left < warnMs && ` (${Math.max(1, Math.round(left / 60_000))} min left): send soon`}
    </p>
  );
}
