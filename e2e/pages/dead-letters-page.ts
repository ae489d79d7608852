import type { Locator, Page } from '@playwright/test';

/** /dead-letters: the filtered list, one entry's panel, and bulk operations (engineers, admins; viewers read). */
export class DeadLettersPage {
  readonly filters: Locator;
  readonly table: Locator;
  readonly rows: Locator;

  constructor(private readonly page: Page) {
    this.filters = page.getByRole('search', { name: 'Filter dead letters' });
    this.table = page.getByRole('table', { name: 'Dead letters, newest first' });
    this.rows = this.table.getByRole('row');
  }

  /** The list, or with `query` (e.g. `state=all&id=7`) a filtered list or an open entry, by URL. */
  async open(query = ''): Promise<void> {
    await this.page.goto(`/dead-letters${query ? `?${query}` : ''}`);
  }

  /** Sets the filters given (others keep their value) and applies them. */
  async filter({ subProcessor, errorText, state }: { subProcessor?: string; errorText?: string; state?: string }): Promise<void> {
    if (subProcessor !== undefined) await this.filters.getByLabel('Sub-processor').selectOption(subProcessor);
    if (errorText !== undefined) await this.filters.getByLabel('Error contains').fill(errorText);
    if (state !== undefined) await this.filters.getByLabel('State').selectOption(state);
    await this.filters.getByRole('button', { name: 'Apply filters' }).click();
  }

  entryLink(id: string): Locator {
    return this.table.getByRole('link', { name: `Open dead letter ${id}` });
  }

  /** From the list to an entry's panel. */
  async openEntry(id: string): Promise<DeadLetterPanel> {
    await this.entryLink(id).click();
    return this.panel(id);
  }

  panel(id: string): DeadLetterPanel {
    return new DeadLetterPanel(this.page, id);
  }

  /** The confirmation of a bulk operation on everything matching the filter, opened by its button. */
  async startBulk(kind: 'Replay' | 'Discard'): Promise<Locator> {
    await this.page.getByRole('button', { name: `${kind} all matching filter…` }).click();
    return this.page.getByRole('dialog', { name: `${kind} all pending entries matching the filter?` });
  }

  /** A bulk operation's card, by the reason it was started with. */
  bulkOp(reason: string): Locator {
    return this.page.getByTestId('bulk-op').filter({ hasText: reason });
  }
}

/** One dead letter's side panel: error, origin, payload, headers, and replay or discard. */
export class DeadLetterPanel {
  readonly panel: Locator;
  readonly replayButton: Locator;
  readonly discardButton: Locator;

  constructor(
    private readonly page: Page,
    readonly id: string,
  ) {
    this.panel = page.getByRole('complementary', { name: `Dead letter #${id}` });
    this.replayButton = this.panel.getByRole('button', { name: 'Replay', exact: true });
    this.discardButton = this.panel.getByRole('button', { name: 'Discard…' });
  }

  async replay(): Promise<void> {
    await this.replayButton.click();
  }

  /** Opens the discard dialog; the caller gives (or withholds) the reason and confirms. */
  async startDiscard(): Promise<Locator> {
    await this.discardButton.click();
    return this.page.getByRole('dialog', { name: `Discard dead letter #${this.id}?` });
  }

  async close(): Promise<void> {
    await this.panel.getByRole('button', { name: /Close/ }).click();
  }
}
