// Pure presentation of the content library: highlighted text split into parts (rendered
// as elements, never as HTML), labels, sizes, and the heat map's colour steps. What an
// asset is tagged with and what fits a contact are the backend's answers.
import type { AssetStatus, ContentTaxonomy, FacetName, Freshness } from './backend';

export interface Part {
  text: string;
  hit: boolean;
}

/**
 * Splits `text` at the marked ranges ([start, end) in UTF-16 code units, as JavaScript
 * indexes strings) into plain and highlighted parts; bad or overlapping ranges are ignored.
 */
export function highlightParts(text: string, hits: [number, number][]): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const [start, end] of [...hits].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) parts.push({ text: text.slice(at, start), hit: false });
    parts.push({ text: text.slice(start, end), hit: true });
    at = end;
  }
  if (at < text.length || parts.length === 0) parts.push({ text: text.slice(at), hit: false });
  return parts;
}

export const STATUS_LABELS: Record<AssetStatus, string> = {
  draft: 'Draft',
  published: 'Published',
  retired: 'Retired',
};

export const FRESHNESS_LABELS: Record<Freshness, string> = {
  current: 'Current',
  due_soon: 'Review due soon',
  stale: 'Past review date',
  no_review_date: 'No review date',
};

export const FACET_LABELS: Record<FacetName, string> = {
  stage: 'Buying stage',
  persona: 'Persona',
  risk: 'Risk',
  kind: 'Kind',
  industry: 'Industry',
  language: 'Language',
  owner: 'Owner',
  freshness: 'Freshness',
  status: 'Status',
};

const LANGUAGES: Record<string, string> = { en: 'English', de: 'German', fr: 'French', es: 'Spanish', nl: 'Dutch', sv: 'Swedish', it: 'Italian' };

/** The name of a facet value: from the agreed taxonomy, the team, or the value itself. */
export function valueLabel(
  facet: FacetName,
  value: string,
  taxonomy: ContentTaxonomy | null,
  people: Record<string, string> = {},
): string {
  const from = (list: { key: string; name: string }[] | undefined) => list?.find((l) => l.key === value)?.name;
  switch (facet) {
    case 'stage':
      return from(taxonomy?.stages) ?? value;
    case 'persona':
      return from(taxonomy?.personas) ?? value;
    case 'risk':
      return from(taxonomy?.risks) ?? value;
    case 'kind':
      return from(taxonomy?.kinds) ?? value;
    case 'owner':
      return people[value] ?? 'Someone who left';
    case 'language':
      return LANGUAGES[value] ?? value.toUpperCase();
    case 'freshness':
      return FRESHNESS_LABELS[value as Freshness] ?? value;
    case 'status':
      return STATUS_LABELS[value as AssetStatus] ?? value;
    default:
      return value;
  }
}

/** Facet values in the taxonomy's order where it has one (stages by journey), else by count. */
export function orderValues<T extends { value: string; count: number }>(
  facet: FacetName,
  values: T[],
  taxonomy: ContentTaxonomy | null,
): T[] {
  const order =
    facet === 'stage'
      ? taxonomy?.stages
      : facet === 'persona'
        ? taxonomy?.personas
        : facet === 'risk'
          ? taxonomy?.risks
          : facet === 'kind'
            ? taxonomy?.kinds
            : undefined;
  if (!order) return values;
  const pos = (v: string) => {
    const i = order.findIndex((l) => l.key === v);
    return i < 0 ? order.length : i;
  };
  return [...values].sort((a, b) => pos(a.value) - pos(b.value));
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** A short name for a media type: PDF, Markdown, HTML, PNG, Link… */
export function formatLabel(mediaType: string | null | undefined, url: string | null | undefined): string {
  if (url) return 'Link';
  switch (mediaType) {
    case 'application/pdf':
      return 'PDF';
    case 'text/markdown':
      return 'Markdown';
    case 'text/html':
      return 'HTML';
    case 'text/plain':
      return 'Text';
    case null:
    case undefined:
      return 'File';
    default:
      return (mediaType.split('/')[1] ?? mediaType).split(/[.+-]/).pop()!.toUpperCase();
  }
}

/**
 * The heat map's shade for a count: 0 is its own (empty) colour; others take one of five
 * steps of the accent colour, so a few assets and many are told apart at a glance.
 */
export function heatStep(count: number, max: number): number {
  if (count <= 0) return 0;
  if (max <= 1) return 5;
  return Math.min(5, 1 + Math.floor(((count - 1) / (max - 1)) * 4.999));
}
