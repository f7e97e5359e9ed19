// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract Reputation_Unit_Test is DisputeBase {
    function test_WhenNothingHappened() external view {
        IDisputeModule.Reputation memory r = disputes.reputation(provider);
        assertEq(r.rentalsCompleted, 0);
        assertEq(r.secondsRented, 0);
        assertEq(r.disputesOpened, 0);
        assertEq(disputes.offersOf(provider).length, 1);
        assertEq(disputes.offersOf(provider)[0], offerId);
        assertEq(disputes.reputation(renter).rentalsCompleted, 0, "not a provider");
    }

    function test_WhenRentalsAndDisputesHappened() external {
        // A second offer: the record adds up every offer of the provider.
        vm.prank(provider);
        uint64 second = escrow.createOffer(defaultOffer(address(usdc)));

        // Settled on the first offer: 600 s rented, 500 up; rated 4.
        RentalTerms memory a = openRental(ONE_HOUR_DEPOSIT, "a");
        vm.warp(a.startedAt + 600);
        Usage memory u = usageAt(1, uint64(block.timestamp), 500);
        bytes memory sig = signUsage(a, u);
        vm.prank(renter);
        escrow.stopAndSettle(a, u, sig);
        vm.prank(renter);
        disputes.rate(a, u, sig, 4);

        // Settled on the second: its deposit's hour, all up.
        RentalTerms memory b = openRentalFrom(renter, second, ONE_HOUR_DEPOSIT, "b");
        vm.warp(b.startedAt + 1 hours);
        settleAs(renter, b, 1, uint64(b.startedAt + 1 hours), 3600);

        // Terminated (an on-demand offer), then refunded: not completed.
        RentalTerms memory c = openRental(ONE_HOUR_DEPOSIT, "c");
        vm.warp(block.timestamp + 60);
        vm.prank(provider);
        escrow.terminate(c);

        // Disputed and lost by the provider.
        RentalTerms memory d = openRentalFrom(renter, second, ONE_HOUR_DEPOSIT, "d");
        uint256 disputeId = openDisputeAs(renter, d);
        ruleByCommittee(disputeId, 10_001);
        disputes.executeRuling(d);

        IDisputeModule.Reputation memory r = disputes.reputation(provider);
        assertEq(r.rentalsCompleted, 2);
        assertEq(r.secondsRented, 600 + 3600);
        assertEq(r.secondsUp, 500 + 3600);
        assertEq(r.terminations, 1);
        assertEq(r.disputesOpened, 1);
        assertEq(r.disputesLost, 1);
        assertEq(r.slashes, 0);
        assertEq(r.ratingCount, 1);
        assertEq(r.ratingSum, 4);
        assertEq(disputes.offersOf(provider).length, 2);
    }
}
