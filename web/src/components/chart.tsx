// Line charts with uPlot (small, fast on many points): x is time (epoch seconds) or a step number.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * A legend's value: blank while the cursor is off the chart (uPlot writes "--"), a point's value
 * rounded to four significant digits, an x position's time or name.
 */
const legendNumber = (_plot: uPlot, value: number | null) =>
  value === null || value === undefined ? '' : String(Number(value.toPrecision(4)));

const palette = ['#3b5bdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#1098ad', '#5c940d', '#862e9c'];

/** One line. */
export interface Series {
  label: string;
  values: (number | null)[];
  /** Drawn as points only (sparse values such as a dev score every few steps). */
  points?: boolean;
}

/** A chart of `series` over `x`; `time` when x holds epoch seconds. */
export function LineChart(props: {
  title: string;
  x: number[];
  series: Series[];
  time?: boolean;
  height?: number;
  yLabel?: string;
  /** The x range to show (default: the data's). */
  range?: [number, number];
  /** What x counts when it is not time (default "step"). */
  xLabel?: string;
  /** Names of the x positions 0, 1, … (sizes evenly spaced however far apart they are: 16, 64, 512). */
  xNames?: string[];
}) {
  const holder = useRef<HTMLDivElement>(null);
  const { title, x, series, time = false, height = 220, yLabel, range, xLabel = 'step', xNames } = props;
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height,
      scales: {
        x: { time, ...(range && { range: () => range }) },
        // counts, times and scores start at zero; a series of zeros gets an axis up to 1, not 100
        y: { range: (_, low, high) => [Math.min(0, low ?? 0), high !== null && high > 0 ? high * 1.1 : 1] },
      },
      // steps and trials are whole numbers: no ticks between them
      axes: [
        time
          ? {}
          : xNames
            ? { incrs: [1], values: (_, splits) => splits.map((split) => xNames[split] ?? '') }
            : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
        { label: yLabel, size: 60 },
      ],
      series: [
        {
          label: time ? 'time' : xLabel,
          value: (_plot: uPlot, value: number | null) =>
            value === null || value === undefined
              ? ''
              : time
                ? new Date(value * 1000).toLocaleString()
                : (xNames?.[value] ?? String(value)),
        },
        ...series.map((line, index) => ({
          label: line.label,
          value: legendNumber,
          stroke: palette[index % palette.length],
          width: 2,
          spanGaps: true,
          points: { show: line.points ?? x.length < 40, size: 6 },
          ...(line.points ? { paths: () => null } : {}),
        })),
      ],
    };
    const plot = new uPlot(options, [x, ...series.map((line) => line.values)] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(320, element.clientWidth), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, time, height, yLabel, range, xLabel, xNames]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} data-chart={title} />
    </figure>
  );
}
