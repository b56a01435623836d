import { useQueryClient } from '@tanstack/react-query';
import { Button, Card, Form, Input, Tabs } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { post, setToken } from '../api';
import i18n from '../i18n';
import { showError } from '../ui';

export function LoginPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [tab, setTab] = useState('login');
  const [loginForm] = Form.useForm();
  const [registerForm] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const next = params.get('next') || '/';

  const signIn = async (values: { login: string; password: string }) => {
    const r = await post<{ token: string }>('/auth/login', values);
    setToken(r.token);
    await qc.invalidateQueries();
    navigate(next, { replace: true });
  };
  const onLogin = async (values: { login: string; password: string }) => {
    setBusy(true);
    try {
      await signIn(values);
    } catch (err) {
      showError(err, loginForm);
    } finally {
      setBusy(false);
    }
  };
  const onRegister = async (values: { login: string; password: string; displayName: string }) => {
    setBusy(true);
    try {
      await post('/auth/register', { ...values, locale: i18n.language === 'en' ? 'en' : 'zh-CN' });
      await signIn({ login: values.login, password: values.password });
    } catch (err) {
      showError(err, registerForm);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card style={{ maxWidth: 420, margin: '24px auto' }}>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          {
            key: 'login',
            label: t('auth.signIn'),
            children: (
              <Form form={loginForm} name="signin" layout="vertical" onFinish={onLogin} requiredMark={false}>
                <Form.Item
                  name="login"
                  label={t('auth.login')}
                  rules={[{ required: true, message: t('form.required') }]}
                >
                  <Input autoComplete="username" />
                </Form.Item>
                <Form.Item
                  name="password"
                  label={t('auth.password')}
                  rules={[{ required: true, message: t('form.required') }]}
                >
                  <Input.Password autoComplete="current-password" />
                </Form.Item>
                <Button type="primary" htmlType="submit" block loading={busy}>
                  {t('auth.signIn')}
                </Button>
              </Form>
            ),
          },
          {
            key: 'register',
            label: t('auth.register'),
            children: (
              <Form
                form={registerForm}
                name="register"
                layout="vertical"
                onFinish={onRegister}
                requiredMark={false}
              >
                <Form.Item
                  name="login"
                  label={t('auth.login')}
                  rules={[{ required: true, min: 3, message: t('form.minChars', { n: 3 }) }]}
                >
                  <Input autoComplete="username" />
                </Form.Item>
                <Form.Item
                  name="displayName"
                  label={t('auth.displayName')}
                  rules={[{ required: true, message: t('form.required') }]}
                >
                  <Input />
                </Form.Item>
                <Form.Item
                  name="password"
                  label={t('auth.password')}
                  rules={[{ required: true, min: 8, message: t('form.minChars', { n: 8 }) }]}
                >
                  <Input.Password autoComplete="new-password" />
                </Form.Item>
                <Button type="primary" htmlType="submit" block loading={busy}>
                  {t('auth.register')}
                </Button>
              </Form>
            ),
          },
        ]}
      />
    </Card>
  );
}
