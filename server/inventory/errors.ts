/** The store × SKU (or lot) does not exist; the console maps this to 404. */
export class UnknownStockItemError extends Error {
  override name = 'UnknownStockItemError';
}

/** The change would make on-hand (or a lot's quantity) negative; the console maps this to 409. */
export class InsufficientStockError extends Error {
  override name = 'InsufficientStockError';
  constructor(
    message: string,
    readonly available: number,
    readonly requested: number,
  ) {
    super(message);
  }
}
