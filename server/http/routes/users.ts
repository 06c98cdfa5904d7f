// Users: admins create and list them (a new user's token is returned once; only its hash is
// stored), and anyone with an account can look up people to share a notebook with.
import { Router } from 'express';
import type { Users } from '../../auth/users.ts';
import type { MetaStore, UserRecord } from '../../store/types.ts';
import { requireAdmin, userOf } from '../auth.ts';
import { HttpError } from '../../errors.ts';
import { loginLink, publicBase } from '../publicUrl.ts';

const SUGGESTIONS = 20;

export function userRoutes(users: Users, meta: MetaStore, publicUrl?: string): Router {
  const router = Router();

  router.post('/api/users', async (req, res) => {
    requireAdmin(req);
    const body = (req.body ?? {}) as { name?: unknown; admin?: unknown };
    const { user, token } = await users.create(body.name as string, { admin: body.admin === true });
    res.status(201).json({ id: user.id, name: user.name, admin: user.admin, token, loginUrl: loginLink(publicBase(req, publicUrl), token) });
  });

  // Admins only: in a classroom, students should not enumerate each other. Guests (one live
  // session each, many per class) are listed with `?guests=true`.
  router.get('/api/users', async (req, res) => {
    requireAdmin(req);
    const withGuests = req.query.guests === 'true';
    const all = (await meta.listUsers()).filter((u) => withGuests || !u.guest);
    all.sort((a, b) => a.created_at - b.created_at);
    res.json({
      users: all.map((u) => ({
        id: u.id,
        name: u.name,
        admin: u.admin,
        disabled: u.disabled === true,
        created_at: u.created_at,
        ...(u.guest ? { guest: true } : {}),
      })),
    });
  });

  // People to share with, for the Share dialog's picker: admins see every account; others see the
  // people they already share a notebook with (never guests, never the whole user list). Adding
  // someone else still works by typing their exact user name.
  router.get('/api/users/suggest', async (req, res) => {
    const me = userOf(req);
    if (me.guest) throw new HttpError(403, 'forbidden', 'guests cannot share notebooks');
    const query = typeof req.query.q === 'string' ? req.query.q.trim().toLowerCase().slice(0, 64) : '';
    const candidates = me.admin ? await meta.listUsers() : await coMembers(meta, me.id);
    const matches = candidates
      .filter((u) => u.id !== me.id && !u.guest && !u.disabled && u.name.toLowerCase().includes(query))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, SUGGESTIONS);
    res.json({ users: matches.map((u) => ({ id: u.id, name: u.name })) });
  });

  return router;
}

async function coMembers(meta: MetaStore, userId: string): Promise<UserRecord[]> {
  const ids = new Set<string>();
  for (const { notebookId } of await meta.notebooksOf(userId)) {
    for (const member of await meta.listMembers(notebookId)) ids.add(member.userId);
  }
  const found = await Promise.all([...ids].map((id) => meta.getUser(id)));
  return found.filter((u): u is UserRecord => u !== undefined);
}
