/** @type {import('next').NextConfig} */
const nextConfig = {
  // Tests run their own console beside `npm start`; separate build dirs keep the two from sharing a lock.
  distDir: process.env.DASHOPS_NEXT_DIST_DIR || '.next',
  // `npm start` builds with DASHOPS_BUILD_TYPECHECK=off: type-checking is tsc's job in `npm test`, and it doubles a rebuild.
  typescript: { ignoreBuildErrors: process.env.DASHOPS_BUILD_TYPECHECK === 'off' },
  // forbidden() answers 403 from pages whose role check fails (app/forbidden.tsx).
  experimental: { authInterrupts: true },
  // Node-only clients (Kafka, Temporal's native bridge, pg) stay out of the bundle and load at runtime.
  serverExternalPackages: ['kafkajs', '@temporalio/client', '@temporalio/common', 'pg', '@prisma/adapter-pg', 'pino'],
  // On every answer: no framing (clickjacking), no MIME sniffing, and no full URLs leaking to other sites.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
        ],
      },
    ];
  },
};

export default nextConfig;
