// The supertest adapter (dist/supertest.d.ts).
import { request, agent, type RequestTarget } from 'ephemeral-servers/supertest';
import type { Endpoint } from 'ephemeral-servers';

export async function useSupertest(api: Endpoint): Promise<number> {
  const target: RequestTarget = api;
  const res = await request(target).get('/health').expect(200);
  await agent('api').get('/');
  // @ts-expect-error: a number is not a target
  request(3000);
  return res.status;
}
