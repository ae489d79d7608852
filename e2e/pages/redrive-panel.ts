import { expect, type Locator, type Page } from '@playwright/test';

const rows = (count: number) => `${count} ${count === 1 ? 'row' : 'rows'}`;

/** The "Re-drive rows" panel on /pipeline (engineers and admins): recovery by touch, as an operator does it. */
export class RedrivePanel {
  readonly panel: Locator;

  constructor(private readonly page: Page) {
    this.panel = page.getByRole('region', { name: 'Re-drive rows' });
  }

  async open(): Promise<void> {
    if (!new URL(this.page.url()).pathname.startsWith('/pipeline')) await this.page.goto('/pipeline');
    await expect(this.panel.getByLabel('Store')).toBeEnabled();
  }

  async choose({ storeId, skuPrefix = '', lots = false }: { storeId: string; skuPrefix?: string; lots?: boolean }): Promise<void> {
    await this.panel.getByLabel('Store').selectOption(storeId);
    await this.panel.getByLabel('SKU prefix').fill(skuPrefix);
    await this.panel.getByLabel('Include lots').setChecked(lots);
  }

  async preview(): Promise<void> {
    await this.panel.getByRole('button', { name: 'Preview' }).click();
  }

  /**
   * Selects, previews (expecting `count` rows), confirms and waits for the result; returns the audit entry id
   * the result names.
   */
  async redrive(selection: { storeId: string; skuPrefix?: string; lots?: boolean; reason: string; count: number }): Promise<string> {
    await this.open();
    await this.choose(selection);
    await this.panel.getByLabel('Reason').fill(selection.reason);
    await this.preview();
    await expect(this.panel.getByTestId('redrive-preview')).toContainText(`${rows(selection.count)} would be re-driven`);
    await this.panel.getByRole('button', { name: `Re-drive ${rows(selection.count)}` }).click();
    const confirm = this.page.getByRole('dialog', { name: `Re-drive ${rows(selection.count)}?` });
    await expect(confirm).toContainText(selection.reason);
    await confirm.getByRole('button', { name: `Re-drive ${rows(selection.count)}` }).click();
    await expect(confirm).toBeHidden();
    const result = this.panel.getByRole('status').filter({ hasText: 'Re-drove' });
    await expect(result).toContainText(`Re-drove ${rows(selection.count)}`);
    const id = /Audit entry #(\d+)/.exec((await result.textContent()) ?? '')?.[1];
    if (!id) throw new Error('the re-drive result names no audit entry');
    return id;
  }
}
