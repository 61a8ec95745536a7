/**
 * A count with thousands separators ("1,234,567"), as `toLocaleString('en-US')` writes it but
 * without loading ICU's number formatting, which costs a short command a noticeable part of its
 * start-up; "-" for a count that is not there.
 */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (!Number.isFinite(n)) return String(n);
  const [whole, fraction] = String(Math.abs(n)).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}
