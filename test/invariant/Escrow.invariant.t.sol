// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Billing} from "../../contracts/libraries/Billing.sol";
import {OfferParams, RentalState, RentalStatus} from "../../contracts/types/DataTypes.sol";
import {BlacklistToken} from "../mocks/BlacklistToken.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {Base} from "../utils/Base.t.sol";
import {RentalHandler} from "./handlers/RentalHandler.sol";
import {RentalStore} from "./stores/RentalStore.sol";

/// @notice The escrow's money invariants under random sequences of every rental action (see README.md).
contract Escrow_Invariant_Test is Base {
    RentalHandler internal handler;
    RentalStore internal store;
    address[] internal tokens;
    uint64[] internal offers;
    address[] internal renters;

    function setUp() public override {
        super.setUp();
        BlacklistToken busd = new BlacklistToken(); // 6 decimals
        MockERC20 dai = MockERC20(deployCode(TOKEN_ARTIFACT, abi.encode("Dai", "DAI", uint8(18))));
        tokens.push(address(busd));
        tokens.push(address(dai));
        offers.push(_offer(address(busd), 2_500_000)); // 2.50 per hour
        offers.push(_offer(address(dai), 3.3e18)); // 3.30 per hour, not a multiple of 3600

        for (uint256 i; i < 3; ++i) {
            address r = makeAddr(string.concat("renter ", vm.toString(i)));
            renters.push(r);
            busd.mint(r, 1e15);
            dai.mint(r, 1e27);
            vm.startPrank(r);
            busd.approve(address(escrow), type(uint256).max);
            dai.approve(address(escrow), type(uint256).max);
            vm.stopPrank();
        }

        store = new RentalStore();
        handler = new RentalHandler(escrow, store, attesterKey, provider, treasury, payout, renters, offers, tokens);
        // Every run starts with six rentals open, on both offers and by every renter.
        for (uint256 i; i < 6; ++i) {
            handler.open(i, i, 600 + i * 2011);
        }
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = RentalHandler.open.selector;
        selectors[1] = RentalHandler.extend.selector;
        selectors[2] = RentalHandler.stop.selector;
        selectors[3] = RentalHandler.terminate.selector;
        selectors[4] = RentalHandler.checkpoint.selector;
        selectors[5] = RentalHandler.settle.selector;
        selectors[6] = RentalHandler.stopAndSettle.selector;
        selectors[7] = RentalHandler.refund.selector;
        selectors[8] = RentalHandler.claimEarnings.selector;
        selectors[9] = RentalHandler.collectFees.selector;
        selectors[10] = RentalHandler.withdraw.selector;
        selectors[11] = RentalHandler.blacklist.selector;
        selectors[12] = RentalHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function _offer(address token, uint96 price) internal returns (uint64 id) {
        vm.prank(owner);
        escrow.setTokenAllowed(token, true);
        OfferParams memory p = defaultOffer(token);
        p.pricePerHour = price;
        vm.prank(provider);
        id = escrow.createOffer(p);
    }

    /// @dev What the escrow owes in `token`: remaining deposits of open rentals, offer accounts, credits.
    function _owed(address token) internal view returns (uint256 owed) {
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed || r.terms.token != token) continue;
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            owed += s.deposit - Billing.cost(r.terms.pricePerHour, s.paidSeconds);
        }
        for (uint256 i; i < offers.length; ++i) {
            if (escrow.offer(offers[i]).token != token) continue;
            owed += uint256(escrow.offerAccount(offers[i]).net) + escrow.offerAccount(offers[i]).fees;
        }
        owed += escrow.credit(treasury, token);
        for (uint256 i; i < renters.length; ++i) {
            owed += escrow.credit(renters[i], token);
        }
    }

    /// @dev Sum over open rentals of the deposit and of what checkpoints already paid.
    function _open(address token) internal view returns (uint256 deposits, uint256 paid) {
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed || r.terms.token != token) continue;
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            deposits += s.deposit;
            paid += Billing.cost(r.terms.pricePerHour, s.paidSeconds);
        }
    }

    /// Per token, the escrow holds at least everything it still owes (exactly that: nobody donates here).
    function invariant_EscrowBalanceCoversEverythingOwed() external view {
        for (uint256 k; k < tokens.length; ++k) {
            uint256 balance = MockERC20(tokens[k]).balanceOf(address(escrow));
            uint256 owed = _owed(tokens[k]);
            assertGe(balance, owed, "balance >= owed");
            assertEq(balance, owed, "balance == owed");
        }
    }

    /// Per token, provider payouts + fees + refunds == deposits of closed rentals + the paid part of open ones, and
    /// the ghost ledger of transfers in and out matches the escrow's balance.
    function invariant_Conservation() external view {
        for (uint256 k; k < tokens.length; ++k) {
            address token = tokens[k];
            (uint256 openDeposits, uint256 openPaid) = _open(token);
            uint256 refunds = store.refundsPushed(token) + store.refundsCredited(token);
            assertEq(store.accrued(token) + refunds, store.closedDeposits(token) + openPaid, "conservation");
            assertEq(store.depositsIn(token), store.closedDeposits(token) + openDeposits, "deposits");
            assertEq(
                MockERC20(token).balanceOf(address(escrow)),
                store.depositsIn(token) - store.refundsPushed(token) - store.claimedNet(token) - store.withdrawn(token),
                "ghost ledger"
            );
        }
    }

    /// No rental is billed above wall-clock seconds × price: closed ones on their end, open ones so far.
    function invariant_NoRentalBilledAboveWallTime() external view {
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed) {
                assertLe(r.charged, r.wallCost, "charged <= cost(wall)");
                assertEq(r.charged + r.refund, r.deposit, "charged + refund == deposit");
            } else {
                RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
                assertLe(s.paidSeconds, block.timestamp - r.terms.startedAt, "paid <= elapsed");
                assertLe(Billing.cost(r.terms.pricePerHour, s.paidSeconds), s.deposit, "paid <= deposit");
                assertEq(r.charged, Billing.cost(r.terms.pricePerHour, s.paidSeconds), "charged == cost(paid)");
            }
        }
    }

    /// Nothing is paid twice: a closed rental's state is gone and every attempt to settle or refund it again
    /// reverted with GpuEscrow_RentalNotActive.
    function invariant_NothingPaidTwice() external view {
        assertEq(store.doubleCloses(), 0, "double close");
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            assertEq(uint8(s.status), uint8(r.closed ? RentalStatus.None : RentalStatus.Active), "status");
        }
    }

    /// Each offer's activeRentals equals the number of its open rentals.
    function invariant_ActiveRentalsMatchOpenRentals() external view {
        for (uint256 k; k < offers.length; ++k) {
            uint256 open;
            for (uint256 i; i < store.count(); ++i) {
                RentalStore.Record memory r = store.get(i);
                if (!r.closed && r.terms.offerId == offers[k]) open++;
            }
            assertEq(escrow.offerAccount(offers[k]).activeRentals, open, "activeRentals");
        }
    }

    /// @dev How often each action ran and closed what, in the last run (`forge test --mt invariant_Conservation -vv`).
    function afterInvariant() external {
        string[13] memory names = [
            "open",
            "extend",
            "stop",
            "terminate",
            "checkpoint",
            "settle",
            "stopAndSettle",
            "refund",
            "claimEarnings",
            "collectFees",
            "withdraw",
            "blacklist",
            "warp"
        ];
        for (uint256 i; i < names.length; ++i) {
            emit log_named_uint(names[i], handler.calls(keccak256(bytes(names[i]))));
        }
        emit log_named_uint("closed retries (all reverted)", store.closedRetries());
        emit log_named_uint("credited refunds, token 0", store.refundsCredited(tokens[0]));
    }
}
