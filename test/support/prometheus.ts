/**
 * Reads a Prometheus text exposition with a real parser (parse-prometheus-text-format),
 * which throws on malformed sample lines and gives each family's HELP and TYPE.
 *
 * That parser folds the buckets of every label set of a histogram into one object and
 * drops the labelled `_sum`/`_count` (a known, unfixed limitation upstream). So histograms
 * are read from a second parse of the same text in which their TYPE says `untyped`: then
 * `_bucket`, `_sum` and `_count` come back as plain samples with all their labels, still
 * unescaped by the parser itself.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  /** Lower case, as in the TYPE line: counter, gauge, histogram, summary, untyped. */
  type: string;
}

export interface HistogramSeries {
  /** [upper bound, cumulative count], in the exposition's order (+Inf last). */
  buckets: [number, number][];
  sum: number;
  count: number;
}

export interface Exposition {
  families: Map<string, Family>;
  /** Samples of a family (for a histogram: pass `name_bucket`, `name_sum` or `name_count`). */
  samples(name: string): Sample[];
  /** The value of the sample with exactly these labels, or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The label sets of a histogram family (without `le`). */
  histogramLabelSets(name: string): Record<string, string>[];
  histogram(name: string, labels?: Record<string, string>): HistogramSeries | undefined;
}

export function parseValue(v: string | undefined): number {
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  return Number(v);
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
};

const withoutLe = (labels: Record<string, string>) => {
  const { le: _le, ...rest } = labels;
  return rest;
};

export function parseExposition(text: string): Exposition {
  const typed = parsePrometheusTextFormat(text);
  const families = new Map<string, Family>(typed.map((f) => [f.name, { name: f.name, help: f.help, type: f.type.toLowerCase() }]));
  const flat = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, "# TYPE $1 untyped"));
  const raw = new Map<string, Sample[]>();
  for (const f of flat) {
    const list = raw.get(f.name) ?? [];
    for (const m of f.metrics) list.push({ labels: m.labels ?? {}, value: parseValue(m.value) });
    raw.set(f.name, list);
  }
  const samples = (name: string) => raw.get(name) ?? [];
  return {
    families,
    samples,
    value: (name, labels = {}) => samples(name).find((s) => sameLabels(s.labels, labels))?.value,
    histogramLabelSets(name) {
      const sets: Record<string, string>[] = [];
      for (const s of samples(`${name}_count`)) if (!sets.some((l) => sameLabels(l, s.labels))) sets.push(s.labels);
      return sets;
    },
    histogram(name, labels = {}) {
      const count = samples(`${name}_count`).find((s) => sameLabels(s.labels, labels));
      const sum = samples(`${name}_sum`).find((s) => sameLabels(s.labels, labels));
      if (!count || !sum) return undefined;
      const buckets = samples(`${name}_bucket`)
        .filter((s) => sameLabels(withoutLe(s.labels), labels))
        .map((s): [number, number] => [parseValue(s.labels.le), s.value]);
      return { buckets, sum: sum.value, count: count.value };
    },
  };
}
