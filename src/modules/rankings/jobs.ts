// Rankings learn from trade (paid lines and their refunds), the catalogue (launches) and penalties
// (brushing findings) through the outbox.
import { registerBatchConsumer, registerConsumer } from '../../kernel/outbox';
import { linesOf } from '../trade';
import { recordFakeTradeFinding, recordPaidLines, recordProduct, recordRefunds } from './rankings';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

// A delivery's orders are read together. Lines are read as trade has them now, so recording the
// paid ones first and then every refund gives what event-by-event handling would.
registerBatchConsumer('rankings.trade', ['order.paid', 'refund.refunded'], async (tx, delivered) => {
  const orderIds = [...new Set(delivered.flatMap((e) => str(e.payload.orderId) ?? []))];
  if (orderIds.length === 0) return;
  const lines = await linesOf(tx, orderIds);
  const paid = delivered.flatMap((event) => {
    const orderId = str(event.payload.orderId);
    const shopId = str(event.payload.shopId);
    const buyerId = str(event.payload.buyerId);
    if (event.topic !== 'order.paid' || !orderId || !shopId || !buyerId) return [];
    return [{ orderId, shopId, buyerId, paidAt: event.occurredAt, lines: lines.get(orderId) ?? [] }];
  });
  await recordPaidLines(tx, paid);
  const refunded = new Set(
    delivered.flatMap((e) => (e.topic === 'refund.refunded' ? (str(e.payload.orderId) ?? []) : [])),
  );
  for (const orderId of refunded) await recordRefunds(tx, lines.get(orderId) ?? []);
});

registerConsumer('rankings.catalog', ['product.created', 'product.published'], async (tx, event) => {
  const productId = str(event.payload.productId);
  const shopId = str(event.payload.shopId);
  const categoryId = str(event.payload.categoryId);
  if (!productId || !shopId || !categoryId) return;
  await recordProduct(tx, {
    productId,
    shopId,
    categoryId,
    launchedAt: event.topic === 'product.published' ? event.occurredAt : null,
  });
});

registerConsumer('rankings.penalties', ['shop.penalty_points_added'], async (tx, event) => {
  const recordId = str(event.payload.recordId);
  const shopId = str(event.payload.shopId);
  if (event.payload.reason !== 'fake_trade' || !recordId || !shopId) return;
  await recordFakeTradeFinding(tx, recordId, shopId, event.occurredAt);
});
