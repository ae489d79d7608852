import type { Locator, Page } from '@playwright/test';

/** /enrollments: the customer search, its card links, and the shadow-mode panel. */
export class EnrollmentsPage {
  readonly customerField: Locator;
  readonly shadow: Locator;

  constructor(private readonly page: Page) {
    this.customerField = page.getByLabel('Customer ID');
    this.shadow = page.getByRole('region', { name: 'Shadow-mode mismatch rates' });
  }

  async open(): Promise<void> {
    await this.page.goto('/enrollments');
  }

  /** Searches a customer as a support agent does: the ID, then Enter. */
  async searchCustomer(customerId: string): Promise<void> {
    await this.customerField.fill(customerId);
    await this.customerField.press('Enter');
  }

  cardLinks(customerId: string): Locator {
    return this.page.getByRole('table', { name: `Card links of ${customerId}` });
  }

  /** A card's row among the customer's links, by what the row shows of it (e.g. "Visa •••• 4242"). */
  cardRow(customerId: string, card: string): Locator {
    return this.cardLinks(customerId).getByRole('row').filter({ hasText: card });
  }

  /** From a card's row to its timeline: the detail page of its card-link workflow. */
  async openTimeline(row: Locator, linkName: string): Promise<CardLinkPage> {
    await row.getByRole('link', { name: linkName }).click();
    return new CardLinkPage(this.page);
  }

  /** The shadow-mode row of a partner's live version against the one in shadow now. */
  shadowPair(partner: string): Locator {
    return this.shadow.getByRole('row').filter({ hasText: partner }).filter({ hasText: 'in shadow now' });
  }
}

/** /enrollments/<workflowId>: one card-link evaluation, its timeline and the guarded actions on it. */
export class CardLinkPage {
  readonly heading: Locator;
  readonly timeline: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
    this.timeline = page.getByRole('list', { name: 'Card-link timeline' });
  }

  async open(workflowId: string): Promise<void> {
    await this.page.goto(`/enrollments/${encodeURIComponent(workflowId)}`);
  }

  step(name: string): Locator {
    return this.timeline.getByRole('listitem', { name });
  }

  /** A confirmation dialog of a guarded action on this card link. */
  reasonDialog(name: string): ReasonDialog {
    return reasonDialog(this.page, name);
  }
}

/** A guarded action's confirmation: the dialog, its reason field (the reason goes into the audit log) and its buttons. */
export interface ReasonDialog {
  dialog: Locator;
  reason: Locator;
  button: (name: string) => Locator;
}

export function reasonDialog(page: Page, name: string): ReasonDialog {
  const dialog = page.getByRole('dialog', { name });
  return {
    dialog,
    reason: dialog.getByLabel('Reason (goes into the audit log)'),
    button: (label) => dialog.getByRole('button', { name: label, exact: true }),
  };
}
