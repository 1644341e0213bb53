import express from 'express';

/** A small express app: who serves this request, and an echo. */
export function createApp(): express.Express {
  const app = express();
  app.use(express.json());
  app.get('/whoami', (_req, res) => {
    res.json({ pid: process.pid, slot: Number(process.env.VITEST_POOL_ID) });
  });
  app.post('/echo', (req, res) => {
    res.status(201).json(req.body);
  });
  return app;
}
