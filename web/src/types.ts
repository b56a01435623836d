// Shapes of the API answers the pages use (see /api/v1/openapi.json).
export interface ShopRef {
  id: string;
  name: string;
  kind: 'mall' | 'market';
  role: string;
}
export interface Me {
  id: string;
  login: string;
  displayName: string;
  locale: string;
  roles: string[];
  shops?: ShopRef[];
}
export interface Category {
  id: string;
  parentId: string | null;
  nameZh: string;
  nameEn: string;
  children: Category[];
}
export interface ProductCard {
  id: string;
  shopId: string;
  title: string;
  image: string | null;
  minPrice: number | null;
  maxPrice: number | null;
  salesCount: number;
  categoryId: string;
  status?: string;
}
export interface Sku {
  id: string;
  code: string;
  attributes: Record<string, string>;
  price: number;
  status: 'active' | 'inactive';
  available: number;
}
export interface Product extends ProductCard {
  description: string;
  images: string[];
  status: 'draft' | 'published' | 'delisted';
  category: { id: string; nameZh: string; nameEn: string } | null;
  brand: { id: string; name: string; nameEn: string | null } | null;
  shipWithinHours: number | null;
  skus: Sku[];
}
export interface Shop {
  id: string;
  name: string;
  kind: 'mall' | 'market';
  status: string;
  tier: string | null;
  rating: number | null;
  createdAt: string;
}
export interface ShopRating {
  dsr: { item: number; service: number; logistics: number; overall: number; reviews: number } | null;
  positive: number;
  total: number;
  positiveRate: number | null;
  credit: number;
}
export interface CartLine {
  skuId: string;
  productId: string | null;
  title: string;
  attributes: Record<string, string>;
  image: string | null;
  unitPrice: number;
  quantity: number;
  lineTotal: number;
  available: number;
  problem: 'not_for_sale' | 'insufficient_stock' | null;
}
export interface Cart {
  shops: { shopId: string; shopName: string; lines: CartLine[]; subtotal: number }[];
  total: number;
  currency: string;
}
export type OrderStatus = 'awaiting_payment' | 'deposit_paid' | 'paid' | 'shipped' | 'succeeded' | 'closed';
export interface OrderLine {
  id: string;
  skuId: string;
  productId: string;
  title: string;
  attributes: Record<string, string>;
  unitPrice: number;
  quantity: number;
  lineTotal: number;
  refundedQuantity: number;
  refundedAmount: number;
}
export interface Order {
  id: string;
  shopId: string;
  shopKind: string;
  paymentId: string;
  status: OrderStatus;
  total: number;
  address: { name: string; phone: string; region: string; line: string };
  lines: OrderLine[];
  returnInsurance: { providedBy: 'none' | 'buyer' | 'shop'; premium: number };
  deadlines: { payBy?: string; balanceBy?: string; shipBy?: string; confirmBy?: string };
  /** The group buy (its group id) or presale the order was placed through. */
  campaign: { kind: 'group_buy' | 'presale'; id: string } | null;
  /** Paid, but the ship-by clock waits for the group to fill. */
  shipHold: 'group_forming' | null;
  presale: {
    deposit: number;
    balance: number;
    depositPaidAt: string | null;
    balanceFrom: string | null;
    balanceBy: string | null;
    balancePaymentId: string | null;
    announcedShipBy: string | null;
  } | null;
  shipLate: boolean;
  createdAt: string;
  paidAt: string | null;
  shippedAt: string | null;
  succeededAt: string | null;
  closedAt: string | null;
  closeReason: string | null;
}
export interface Refund {
  id: string;
  orderId: string;
  shopId: string;
  kind: 'refund_only' | 'return_refund';
  reason: string;
  detail: string | null;
  stage: string;
  status:
    | 'requested'
    | 'refused'
    | 'escalated'
    | 'awaiting_return'
    | 'return_shipped'
    | 'refunded'
    | 'closed';
  amount: number;
  actBy: string | null;
  refusalReason: string | null;
  decisionNote: string | null;
  createdAt: string;
  refundedAt: string | null;
}
export interface Complaint {
  id: string;
  orderId: string;
  shopId: string;
  reason: string;
  detail: string | null;
  status: 'open' | 'upheld' | 'dismissed';
  compensation: number;
  compensationPayout: 'cash' | 'points' | null;
  compensatedAt: string | null;
  penaltyPoints: number;
  decisionNote: string | null;
  createdAt: string;
}
export interface Application {
  id: string;
  kind: 'mall' | 'market';
  status: 'pending' | 'approved' | 'rejected';
  shopName: string;
  realName: string;
  idNumberMasked: string;
  brandName: string | null;
  depositPlan: string;
  shopId: string | null;
  rejectReason: string | null;
  createdAt: string;
  reviewedAt: string | null;
}
export interface Warehouse {
  id: string;
  name: string;
  region: string;
}
