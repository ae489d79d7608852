/** Calendar arithmetic for benefit terms, in UTC so a benefit's dates never depend on the server's zone. */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** Same day-of-month and time `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonthsUtc(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const result = new Date(date.getTime());
  result.setUTCFullYear(year, month, Math.min(date.getUTCDate(), lastDay));
  return result;
}

/** Midnight UTC on the first day of the month after `date`'s, even when `date` is itself a first. */
export function firstOfNextMonthUtc(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}
