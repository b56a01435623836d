import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Result, Spin } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { get, getToken, post, setToken } from './api';
import type { Me } from './types';

/** Who is signed in (null: nobody). */
export function useMe() {
  return useQuery({
    queryKey: ['me', getToken()],
    queryFn: async () => (getToken() ? await get<Me>('/me').catch(() => null) : null),
    staleTime: 60_000,
  });
}

export function useSignOut() {
  const qc = useQueryClient();
  return async () => {
    await post('/auth/logout').catch(() => undefined);
    setToken(null);
    qc.clear();
  };
}

/** Renders children for a signed-in account with the role, else a sign-in prompt. */
export function RequireAuth({
  requires,
  children,
}: {
  requires?: 'operator';
  children: (me: Me) => ReactNode;
}) {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (!me.data) {
    return (
      <Result
        status="403"
        title={t('auth.needSignIn')}
        extra={
          <Link to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`}>
            <Button type="primary">{t('auth.signIn')}</Button>
          </Link>
        }
      />
    );
  }
  if (requires && !me.data.roles.includes(requires))
    return <Result status="403" title={t('auth.forbidden')} />;
  return <>{children(me.data)}</>;
}
