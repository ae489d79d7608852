import type { PrismaClient } from './generated/client.ts';

const STORES = [
  { storeId: 'SF-001', name: 'Mission Bay', city: 'San Francisco' },
  { storeId: 'SF-002', name: 'Hayes Valley', city: 'San Francisco' },
  { storeId: 'NY-101', name: 'Chelsea', city: 'New York' },
  { storeId: 'NY-102', name: 'Williamsburg', city: 'New York' },
  { storeId: 'TO-201', name: 'Liberty Village', city: 'Toronto' },
];

const ITEMS: { sku: string; name: string; category: string; reorderPoint: number; shelfLifeDays?: number }[] = [
  { sku: 'PRD-BANANA-1LB', name: 'Bananas, 1 lb', category: 'produce', reorderPoint: 20, shelfLifeDays: 6 },
  { sku: 'PRD-AVOCADO-EA', name: 'Hass avocado', category: 'produce', reorderPoint: 15, shelfLifeDays: 5 },
  { sku: 'PRD-SPINACH-5OZ', name: 'Baby spinach, 5 oz', category: 'produce', reorderPoint: 10, shelfLifeDays: 7 },
  { sku: 'PRD-STRAWB-1LB', name: 'Strawberries, 1 lb', category: 'produce', reorderPoint: 10, shelfLifeDays: 4 },
  { sku: 'DRY-MILK-2PCT-GAL', name: '2% milk, 1 gal', category: 'dairy', reorderPoint: 12, shelfLifeDays: 14 },
  { sku: 'DRY-EGGS-12', name: 'Large eggs, dozen', category: 'dairy', reorderPoint: 12, shelfLifeDays: 30 },
  { sku: 'DRY-YOGURT-GRK-32', name: 'Greek yogurt, 32 oz', category: 'dairy', reorderPoint: 8, shelfLifeDays: 21 },
  { sku: 'DRY-CHEDDAR-8OZ', name: 'Sharp cheddar, 8 oz', category: 'dairy', reorderPoint: 6, shelfLifeDays: 60 },
  { sku: 'BKY-SOURDOUGH', name: 'Sourdough loaf', category: 'bakery', reorderPoint: 6, shelfLifeDays: 3 },
  { sku: 'BKY-BAGEL-6', name: 'Plain bagels, 6 ct', category: 'bakery', reorderPoint: 6, shelfLifeDays: 5 },
  { sku: 'PNT-PASTA-PENNE', name: 'Penne pasta, 1 lb', category: 'pantry', reorderPoint: 10 },
  { sku: 'PNT-RICE-JAS-2LB', name: 'Jasmine rice, 2 lb', category: 'pantry', reorderPoint: 8 },
  { sku: 'PNT-OLIVEOIL-500', name: 'Olive oil, 500 ml', category: 'pantry', reorderPoint: 5 },
  { sku: 'PNT-COFFEE-12OZ', name: 'Ground coffee, 12 oz', category: 'pantry', reorderPoint: 6 },
  { sku: 'PNT-PB-16OZ', name: 'Peanut butter, 16 oz', category: 'pantry', reorderPoint: 6 },
  { sku: 'BEV-WATER-24PK', name: 'Spring water, 24 pack', category: 'beverages', reorderPoint: 8 },
  { sku: 'BEV-OJ-52OZ', name: 'Orange juice, 52 oz', category: 'beverages', reorderPoint: 6, shelfLifeDays: 20 },
  { sku: 'BEV-SPARKLING-8PK', name: 'Sparkling water, 8 pack', category: 'beverages', reorderPoint: 6 },
  { sku: 'HSH-PAPERTOWEL-6', name: 'Paper towels, 6 rolls', category: 'household', reorderPoint: 4 },
  { sku: 'HSH-DISHSOAP-20OZ', name: 'Dish soap, 20 oz', category: 'household', reorderPoint: 4 },
  { sku: 'HSH-TRASHBAG-40', name: 'Trash bags, 40 ct', category: 'household', reorderPoint: 4 },
  { sku: 'FRZ-PEAS-16OZ', name: 'Frozen peas, 16 oz', category: 'frozen', reorderPoint: 6, shelfLifeDays: 240 },
  { sku: 'FRZ-PIZZA-MARG', name: 'Margherita pizza, frozen', category: 'frozen', reorderPoint: 5, shelfLifeDays: 180 },
  { sku: 'FRZ-ICECREAM-VAN', name: 'Vanilla ice cream, 1.5 qt', category: 'frozen', reorderPoint: 5, shelfLifeDays: 120 },
];

/** Deterministic 0..1 from a string, so every machine seeds the same believable numbers. */
function unit(seed: string): number {
  let hash = 2166136261;
  for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 16777619);
  return (hash >>> 0) / 0xffffffff;
}

const DAY_MS = 86_400_000;

/**
 * Seeds demo stores, catalog, stock, lots and availability. Idempotent: rows that already exist are left
 * exactly as they are, so stock adjusted in the console survives a restart.
 */
export async function seedDemoData(prisma: PrismaClient, today = new Date()): Promise<Record<string, number>> {
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const levels = STORES.flatMap((store) =>
    ITEMS.map((item) => {
      const roll = unit(`${store.storeId}:${item.sku}`);
      // About one in twelve starts sold out and a few sit under their reorder point: the stream has work to show.
      const onHand = roll < 0.08 ? 0 : roll < 0.2 ? Math.ceil(item.reorderPoint / 2) : 10 + Math.floor(roll * 90);
      return { storeId: store.storeId, sku: item.sku, onHand };
    }),
  );
  const lots = levels.flatMap(({ storeId, sku, onHand }) => {
    const item = ITEMS.find((candidate) => candidate.sku === sku);
    if (!item?.shelfLifeDays || onHand === 0) return [];
    const older = Math.floor(onHand * 0.4);
    const olderExpiry = Math.round(unit(`${storeId}:${sku}:lot1`) * item.shelfLifeDays) - 1;
    return [
      { lotId: `LOT-${storeId}-${sku}-1`, storeId, sku, quantity: older, expiresOn: new Date(midnight + olderExpiry * DAY_MS) },
      {
        lotId: `LOT-${storeId}-${sku}-2`,
        storeId,
        sku,
        quantity: onHand - older,
        expiresOn: new Date(midnight + item.shelfLifeDays * DAY_MS),
      },
    ].filter((lot) => lot.quantity > 0);
  });

  const [stores, items, levelRows, lotRows, availability] = await prisma.$transaction([
    prisma.store.createMany({ data: STORES, skipDuplicates: true }),
    prisma.catalogItem.createMany({
      data: ITEMS.map(({ sku, name, category, reorderPoint }) => ({ sku, name, category, reorderPoint })),
      skipDuplicates: true,
    }),
    prisma.inventoryLevel.createMany({ data: levels, skipDuplicates: true }),
    prisma.inventoryLot.createMany({ data: lots, skipDuplicates: true }),
    prisma.catalogAvailability.createMany({
      data: levels.map(({ storeId, sku, onHand }) => ({ storeId, sku, available: onHand > 0 })),
      skipDuplicates: true,
    }),
  ]);
  return {
    stores: stores.count,
    catalogItems: items.count,
    inventoryLevels: levelRows.count,
    inventoryLots: lotRows.count,
    catalogAvailability: availability.count,
  };
}
