/**
 * A small dependency-free SVG chart for daily series: grouped bars or lines, a y axis with four
 * nice ticks, day labels along the x axis, and a <title> per point (the browser's tooltip).
 */

export interface ChartSeries {
  name: string;
  color: string;
  values: number[];
}

interface Props {
  days: string[];
  series: ChartSeries[];
  kind?: 'bar' | 'line';
  height?: number;
  format?: (v: number) => string;
  testId?: string;
}

const W = 720;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function niceMax(v: number): number {
  if (v <= 0) return 4;
  const exp = 10 ** Math.floor(Math.log10(v));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * exp * 4 >= v) ?? 10;
  return step * exp * 4;
}

export function SeriesChart({ days, series, kind = 'bar', height = 220, format = String, testId }: Props) {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(days.length, 1);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const barW = Math.max(1, (slot * 0.7) / series.length);
  const labelEvery = Math.ceil(days.length / 8);
  return (
    <svg
      viewBox={`0 0 ${W} ${height}`}
      width="100%"
      role="img"
      data-testid={testId}
      style={{ display: 'block', fontSize: 11, fontFamily: 'inherit' }}
    >
      {[0, 1, 2, 3, 4].map((i) => {
        const v = (max / 4) * i;
        return (
          <g key={i}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke="#f0f0f0" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" fill="#8c8c8c">
              {format(v)}
            </text>
          </g>
        );
      })}
      {days.map((d, i) =>
        i % labelEvery === 0 ? (
          <text key={d} x={PAD.left + slot * (i + 0.5)} y={height - 8} textAnchor="middle" fill="#8c8c8c">
            {d.slice(5)}
          </text>
        ) : null,
      )}
      {kind === 'bar'
        ? series.map((s, si) =>
            s.values.map((v, i) =>
              v > 0 ? (
                <rect
                  key={`${s.name}-${i}`}
                  data-value={v}
                  className="chart-bar"
                  x={PAD.left + slot * i + slot * 0.15 + barW * si}
                  y={y(v)}
                  width={barW}
                  height={Math.max(1, PAD.top + plotH - y(v))}
                  fill={s.color}
                  rx={1}
                >
                  <title>{`${days[i]} ${s.name}: ${format(v)}`}</title>
                </rect>
              ) : null,
            ),
          )
        : series.map((s) => (
            <g key={s.name}>
              <polyline
                fill="none"
                stroke={s.color}
                strokeWidth={2}
                points={s.values.map((v, i) => `${PAD.left + slot * (i + 0.5)},${y(v)}`).join(' ')}
              />
              {s.values.map((v, i) => (
                <circle key={i} cx={PAD.left + slot * (i + 0.5)} cy={y(v)} r={2.5} fill={s.color}>
                  <title>{`${days[i]} ${s.name}: ${format(v)}`}</title>
                </circle>
              ))}
            </g>
          ))}
      <line x1={PAD.left} x2={W - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} stroke="#d9d9d9" />
    </svg>
  );
}

export function Legend({ series }: { series: Pick<ChartSeries, 'name' | 'color'>[] }) {
  return (
    <span className="chart-legend">
      {series.map((s) => (
        <span key={s.name}>
          <i style={{ background: s.color }} />
          {s.name}
        </span>
      ))}
    </span>
  );
}
