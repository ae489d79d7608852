import type { Locator, Page } from '@playwright/test';

/** /inventory: search by store and SKU prefix, the selected item's panel and its stock adjustment form. */
export class InventoryPage {
  readonly search: Locator;
  readonly results: Locator;
  /** The side panel of the selected item. */
  readonly item: Locator;
  readonly adjustForm: AdjustStockForm;

  constructor(private readonly page: Page) {
    this.search = page.getByRole('search', { name: 'Search inventory' });
    this.results = page.getByRole('table');
    this.item = page.getByRole('complementary', { name: 'Selected item' });
    this.adjustForm = new AdjustStockForm(this.item.getByRole('region', { name: 'Adjust stock' }));
  }

  async open(): Promise<void> {
    await this.page.goto('/inventory');
  }

  async find(storeId: string, skuPrefix: string): Promise<void> {
    await this.search.getByLabel('Store').selectOption(storeId);
    await this.search.getByLabel('SKU starts with').fill(skuPrefix);
    await this.search.getByRole('button', { name: 'Search' }).click();
  }

  selectButton(storeId: string, sku: string): Locator {
    return this.results.getByRole('button', { name: `Select ${storeId} ${sku}` });
  }

  itemHeading(storeId: string, sku: string): Locator {
    return this.item.getByRole('heading', { name: `${sku} at ${storeId}` });
  }
}

/** The "Adjust stock" form of the selected item (associates, admins). */
export class AdjustStockForm {
  readonly quantity: Locator;
  readonly reason: Locator;
  readonly note: Locator;
  readonly apply: Locator;

  constructor(readonly form: Locator) {
    this.quantity = form.getByLabel('Quantity change');
    this.reason = form.getByLabel('Reason');
    this.note = form.getByLabel('Note');
    this.apply = form.getByRole('button', { name: 'Apply adjustment' });
  }

  /** Fills what is given and applies; a field left out keeps its value. */
  async submit({ quantity, reason, note }: { quantity?: string; reason?: string; note?: string }): Promise<void> {
    if (quantity !== undefined) await this.quantity.fill(quantity);
    if (reason !== undefined) await this.reason.selectOption(reason);
    if (note !== undefined) await this.note.fill(note);
    await this.apply.click();
  }
}
