import { prepareDatabase } from './stack/database.ts';

/** `npm run db:seed`: applies pending migrations (seeding needs the tables), then seeds missing demo rows. */
const { applied, seeded } = await prepareDatabase();
console.log(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'Migrations: up to date');
console.log('Seeded (new rows):', seeded);
