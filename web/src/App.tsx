import {
  AccountBookOutlined,
  ApartmentOutlined,
  ClockCircleOutlined,
  CustomerServiceOutlined,
  DashboardOutlined,
  FileProtectOutlined,
  FundOutlined,
  GiftOutlined,
  InboxOutlined,
  ShopOutlined,
  ShoppingCartOutlined,
  SolutionOutlined,
  StarOutlined,
  TeamOutlined,
  ThunderboltOutlined,
  TransactionOutlined,
  UserOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import { Button, Dropdown, Input, Layout, Menu, Segmented, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, Route, Routes, useLocation, useNavigate, useSearchParams } from 'react-router';
import { RequireAuth, useMe, useSignOut } from './auth';
import { setLanguage } from './i18n';
import {
  AdminApplications,
  AdminClock,
  AdminComplaints,
  AdminLedger,
  AdminRefunds,
  AdminRuleSets,
} from './pages/admin';
import { AdminCategories } from './pages/admin-catalog';
import { AdminCampaigns, GroupBuyPage, GroupPage, PresalePage, SellerCampaigns } from './pages/campaigns';
import { CartPage, CheckoutPage, PayPage } from './pages/cart';
import { SellerDatabank } from './pages/databank';
import { CouponsPage, FlashSalePage, FlashSalesPage, MyCouponsPage } from './pages/deals';
import { LoginPage } from './pages/login';
import { ComplaintsPage, OrderPage, OrdersPage, PointsPage, RefundsPage } from './pages/orders';
import { AdminFlashSales, AdminPromotions, SellerPromotions } from './pages/promotions';
import {
  SellerApply,
  SellerComplaints,
  SellerDashboard,
  SellerLedger,
  SellerOrders,
  SellerProducts,
  SellerRefunds,
  SellerReviews,
  SellerShell,
  SellerStaff,
} from './pages/seller';
import { HomePage, ProductPage, SearchPage, ShopPage } from './pages/store';

function LanguageSwitch() {
  const { i18n } = useTranslation();
  return (
    <Segmented
      size="small"
      aria-label="language / 语言"
      value={i18n.language === 'en' ? 'en' : 'zh-CN'}
      options={[
        { label: '中文', value: 'zh-CN' },
        { label: 'EN', value: 'en' },
      ]}
      onChange={(v) => setLanguage(v as string)}
    />
  );
}

function AccountMenu() {
  const { t } = useTranslation();
  const me = useMe();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const location = useLocation();
  if (!me.data) {
    return (
      <Link to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`}>
        <Button size="small" type="primary" icon={<UserOutlined />}>
          {t('auth.signIn')}
        </Button>
      </Link>
    );
  }
  const items = [
    { key: '/orders', label: t('nav.orders') },
    { key: '/refunds', label: t('nav.refunds') },
    { key: '/complaints', label: t('nav.complaints') },
    { key: '/points', label: t('nav.points') },
    { key: '/coupons/mine', label: t('nav.myCoupons') },
    { type: 'divider' as const },
    { key: '/seller', label: t('nav.seller') },
    ...(me.data.roles.includes('operator') ? [{ key: '/admin', label: t('nav.admin') }] : []),
    { type: 'divider' as const },
    { key: 'signout', label: t('auth.signOut') },
  ];
  return (
    <Dropdown
      menu={{
        items,
        onClick: async ({ key }) => {
          if (key === 'signout') {
            await signOut();
            navigate('/');
          } else navigate(key);
        },
      }}
    >
      <Button size="small" icon={<UserOutlined />} data-testid="account-menu">
        {me.data.displayName}
      </Button>
    </Dropdown>
  );
}

function StoreLayout() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <header className="store-header">
        <Link to="/" className="brand">
          集市 <span>jishi</span>
        </Link>
        <Input.Search
          className="store-search"
          key={params.get('q') ?? ''}
          defaultValue={params.get('q') ?? ''}
          placeholder={t('store.searchPlaceholder')}
          aria-label={t('store.search')}
          enterButton={t('store.search')}
          onSearch={(q) => q.trim() && navigate(`/search?q=${encodeURIComponent(q.trim())}`)}
        />
        <Space wrap className="store-actions">
          <Link to="/flash-sales">
            <Button size="small" icon={<ThunderboltOutlined />}>
              {t('nav.flashSales')}
            </Button>
          </Link>
          <Link to="/coupons">
            <Button size="small" icon={<GiftOutlined />}>
              {t('nav.coupons')}
            </Button>
          </Link>
          <Link to="/cart" aria-label={t('nav.cart')}>
            <Button size="small" icon={<ShoppingCartOutlined />}>
              {t('nav.cart')}
            </Button>
          </Link>
          <Link to="/orders">
            <Button size="small">{t('nav.orders')}</Button>
          </Link>
          <AccountMenu />
          <LanguageSwitch />
        </Space>
      </header>
      <Layout.Content className="store-content">
        <Outlet />
      </Layout.Content>
      <Layout.Footer style={{ textAlign: 'center', color: '#888' }}>
        jishi 集市 · <a href="/api/docs">{t('nav.apiDocs')}</a>
      </Layout.Footer>
    </Layout>
  );
}

/** Side menu + header for the two consoles. */
export function ConsoleLayout({
  title,
  items,
  extra,
  children,
}: {
  title: string;
  items: { key: string; icon: ReactNode; label: string }[];
  extra?: ReactNode;
  children: ReactNode;
}) {
  const location = useLocation();
  const navigate = useNavigate();
  const selected = [...items]
    .sort((a, b) => b.key.length - a.key.length)
    .find((i) => location.pathname.startsWith(i.key));
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="md" collapsedWidth={0} theme="light" width={210}>
        <div className="console-title">
          <Link to="/">集市</Link> · {title}
        </div>
        <Menu
          mode="inline"
          selectedKeys={selected ? [selected.key] : []}
          items={items}
          onClick={({ key }) => navigate(key)}
        />
      </Layout.Sider>
      <Layout>
        <header className="console-header">
          <Typography.Text strong>{title}</Typography.Text>
          <Space wrap>
            {extra}
            <AccountMenu />
            <LanguageSwitch />
          </Space>
        </header>
        <Layout.Content style={{ padding: 16 }}>{children}</Layout.Content>
      </Layout>
    </Layout>
  );
}

function SellerLayout() {
  const { t } = useTranslation();
  return (
    <SellerShell>
      {(extra) => (
        <ConsoleLayout
          title={t('nav.seller')}
          extra={extra}
          items={[
            { key: '/seller', icon: <DashboardOutlined />, label: t('seller.dashboard') },
            { key: '/seller/products', icon: <ShopOutlined />, label: t('seller.products') },
            { key: '/seller/promotions', icon: <GiftOutlined />, label: t('promo.title') },
            { key: '/seller/campaigns', icon: <TeamOutlined />, label: t('campaign.title') },
            { key: '/seller/databank', icon: <FundOutlined />, label: t('databank.title') },
            { key: '/seller/orders', icon: <InboxOutlined />, label: t('seller.orderDesk') },
            { key: '/seller/refunds', icon: <CustomerServiceOutlined />, label: t('seller.afterSales') },
            { key: '/seller/complaints', icon: <WarningOutlined />, label: t('seller.complaints') },
            { key: '/seller/reviews', icon: <StarOutlined />, label: t('seller.reviews') },
            { key: '/seller/ledger', icon: <AccountBookOutlined />, label: t('seller.ledger') },
            { key: '/seller/staff', icon: <TeamOutlined />, label: t('seller.staff') },
            { key: '/seller/apply', icon: <SolutionOutlined />, label: t('seller.apply') },
          ]}
        >
          <Outlet />
        </ConsoleLayout>
      )}
    </SellerShell>
  );
}

function AdminLayout() {
  const { t } = useTranslation();
  return (
    <RequireAuth requires="operator">
      {() => (
        <ConsoleLayout
          title={t('nav.admin')}
          items={[
            { key: '/admin', icon: <SolutionOutlined />, label: t('admin.applications') },
            { key: '/admin/complaints', icon: <WarningOutlined />, label: t('admin.complaints') },
            { key: '/admin/refunds', icon: <TransactionOutlined />, label: t('admin.refunds') },
            { key: '/admin/categories', icon: <ApartmentOutlined />, label: t('adminCatalog.title') },
            { key: '/admin/promotions', icon: <GiftOutlined />, label: t('promo.platformTitle') },
            { key: '/admin/flash-sales', icon: <ThunderboltOutlined />, label: t('promo.flashSales') },
            { key: '/admin/campaigns', icon: <TeamOutlined />, label: t('campaign.title') },
            { key: '/admin/rule-sets', icon: <FileProtectOutlined />, label: t('admin.ruleSets') },
            { key: '/admin/ledger', icon: <AccountBookOutlined />, label: t('admin.ledger') },
            { key: '/admin/clock', icon: <ClockCircleOutlined />, label: t('admin.clock') },
          ]}
        >
          <Outlet />
        </ConsoleLayout>
      )}
    </RequireAuth>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<StoreLayout />}>
        <Route index element={<HomePage />} />
        <Route path="search" element={<SearchPage />} />
        <Route path="products/:id" element={<ProductPage />} />
        <Route path="shops/:id" element={<ShopPage />} />
        <Route path="cart" element={<CartPage />} />
        <Route path="checkout" element={<CheckoutPage />} />
        <Route path="pay/:id" element={<PayPage />} />
        <Route path="orders" element={<OrdersPage />} />
        <Route path="orders/:id" element={<OrderPage />} />
        <Route path="refunds" element={<RefundsPage />} />
        <Route path="complaints" element={<ComplaintsPage />} />
        <Route path="points" element={<PointsPage />} />
        <Route path="coupons" element={<CouponsPage />} />
        <Route path="coupons/mine" element={<MyCouponsPage />} />
        <Route path="flash-sales" element={<FlashSalesPage />} />
        <Route path="flash-sales/:id" element={<FlashSalePage />} />
        <Route path="group-buys/groups/:groupId" element={<GroupPage />} />
        <Route path="group-buys/:id" element={<GroupBuyPage />} />
        <Route path="presales/:id" element={<PresalePage />} />
        <Route path="login" element={<LoginPage />} />
      </Route>
      <Route path="seller" element={<SellerLayout />}>
        <Route index element={<SellerDashboard />} />
        <Route path="apply" element={<SellerApply />} />
        <Route path="products" element={<SellerProducts />} />
        <Route path="promotions" element={<SellerPromotions />} />
        <Route path="campaigns" element={<SellerCampaigns />} />
        <Route path="databank" element={<SellerDatabank />} />
        <Route path="orders" element={<SellerOrders />} />
        <Route path="refunds" element={<SellerRefunds />} />
        <Route path="complaints" element={<SellerComplaints />} />
        <Route path="ledger" element={<SellerLedger />} />
        <Route path="reviews" element={<SellerReviews />} />
        <Route path="staff" element={<SellerStaff />} />
      </Route>
      <Route path="admin" element={<AdminLayout />}>
        <Route index element={<AdminApplications />} />
        <Route path="complaints" element={<AdminComplaints />} />
        <Route path="refunds" element={<AdminRefunds />} />
        <Route path="categories" element={<AdminCategories />} />
        <Route path="promotions" element={<AdminPromotions />} />
        <Route path="flash-sales" element={<AdminFlashSales />} />
        <Route path="campaigns" element={<AdminCampaigns />} />
        <Route path="rule-sets" element={<AdminRuleSets />} />
        <Route path="ledger" element={<AdminLedger />} />
        <Route path="clock" element={<AdminClock />} />
      </Route>
      <Route path="*" element={<StoreLayout />}>
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return <Typography.Title level={4}>{t('common.notFound')}</Typography.Title>;
}
